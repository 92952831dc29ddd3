"""Every Keras backend: saving across backends, thread budgets, data parallelism.

The backend of this process is whatever KERAS_BACKEND chose (TensorFlow by
default); CI runs the core tests once more under JAX and under PyTorch, so
each test here checks this process's backend, starting fresh interpreters
where it must (a thread budget is set before a backend starts; a model
saved here is loaded under the next backend installed).
"""

import importlib.util
import os

import keras
import numpy as np
import pytest
from _fresh_python import run_python
from sklearn.datasets import load_digits

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error

BACKENDS = ("tensorflow", "jax", "torch")
INSTALLED = [b for b in BACKENDS if importlib.util.find_spec(b) is not None]
THIS = keras.backend.backend()
# The next installed backend after this one, in a cycle: CI's JAX pass loads
# into PyTorch and its PyTorch pass into TensorFlow.
_here = BACKENDS.index(THIS)
NEXT = [b for b in BACKENDS[_here + 1 :] + BACKENDS[:_here] if b in INSTALLED][:1]


@pytest.fixture(scope="module")
def X():
    return (load_digits().data / 16).astype(np.float32)


@pytest.mark.core
@pytest.mark.skipif(not NEXT, reason="only one Keras backend is installed here")
@pytest.mark.parametrize("other", NEXT)
def test_a_model_saved_under_one_backend_loads_under_another(X, tmp_path, other):
    sio = pytest.importorskip("skops.io")
    model = AutoencoderTransformer(
        z_dim=3, image_shape=(8, 8), epochs=2, random_state=0
    ).fit(X[:300])
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    np.save(tmp_path / "X.npy", X[:300])
    run_python(
        f"""
        import numpy as np, skops.io as sio
        model = sio.load({str(path)!r}, trusted=sio.get_untrusted_types(file={str(path)!r}))
        np.save({str(tmp_path / "Z.npy")!r}, model.transform(np.load({str(tmp_path / "X.npy")!r})))
        """,
        KERAS_BACKEND=other,
    )
    np.testing.assert_allclose(
        np.load(tmp_path / "Z.npy"), model.transform(X[:300]), rtol=1e-4, atol=1e-4
    )


THREADS = """
import os, resource, time
import numpy as np
import keras
from skae import AutoencoderTransformer

# A user's first fit, on images large enough to ask for the devices.
images = np.random.default_rng(0).random((32, 784), dtype=np.float32)
AutoencoderTransformer(z_dim=2, epochs=1, image_shape=(28, 28)).fit(images)

x = keras.ops.convert_to_tensor(np.random.rand(1000, 1000).astype("float32"))
y = keras.ops.matmul(x, x)
keras.ops.convert_to_numpy(y)
start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
for _ in range(40):
    y = keras.ops.matmul(y, x) * 1e-3
keras.ops.convert_to_numpy(y)
after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - start
busy = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
print(busy / wall, len(os.sched_getaffinity(0)))
"""


@pytest.mark.core
@pytest.mark.alone
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores")
def test_this_backend_keeps_to_the_thread_budget_of_a_worker():
    # loky and Dask workers set OMP_NUM_THREADS to their share of the cores:
    # one thread's budget keeps a matrix product to about one core busy.
    unlimited, _ = run_python(THREADS, OMP_NUM_THREADS="").split()
    if float(unlimited) < 1.5:
        # Another process holds a core: one busy core would prove nothing.
        pytest.skip(f"the machine is loaded: an unlimited run used {unlimited} cores")
    busy, cores = run_python(THREADS, OMP_NUM_THREADS="1").split()
    assert float(busy) < 1.3, busy
    assert int(cores) == len(os.sched_getaffinity(0))  # the mask given back


DATA_PARALLEL = """
import json
import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error

X = load_digits().data / 16  # 1,797 rows: batches do not divide evenly
X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
params = dict(z_dim=10, epochs=20, batch_size=33, random_state=0)
single = AutoencoderTransformer(**params).fit(X_train)
devices = keras.distribution.list_devices()
keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
parallel = AutoencoderTransformer(**params).fit(X_train)
print(json.dumps({
    "devices": len(devices),
    "single": reconstruction_error(single, X_test),
    "parallel": reconstruction_error(parallel, X_test),
    "odd_rows": parallel.transform(X_test[:5]).shape[0],
    "tiny_fit": AutoencoderTransformer(z_dim=2, epochs=1, validation_fraction=0)
    .fit(X[:1]).n_iter_,
}))
"""


@pytest.mark.core
@pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="Keras's data parallelism is JAX's: CI's KERAS_BACKEND=jax pass runs it",
)
def test_data_parallel_training_on_two_devices_reaches_single_device_quality():
    import json

    out = run_python(
        DATA_PARALLEL,
        KERAS_BACKEND="jax",
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
    )
    result = json.loads(out.strip().splitlines()[-1])
    assert result["devices"] == 2
    assert result["parallel"] <= 1.1 * result["single"], result
    assert result["odd_rows"] == 5 and result["tiny_fit"] == 1


@pytest.mark.core
def test_the_same_seed_gives_the_same_codes_on_this_backend(X):
    params = {"z_dim": 3, "epochs": 2, "random_state": 0}
    first = AutoencoderTransformer(**params).fit(X[:300])
    second = AutoencoderTransformer(**params).fit(X[:300])
    np.testing.assert_array_equal(first.transform(X[:300]), second.transform(X[:300]))
    assert reconstruction_error(first, X) < 0.07  # trained: the mean image gives 0.073
