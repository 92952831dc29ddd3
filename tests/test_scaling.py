"""partial_fit streaming, searches on a Dask cluster, memory of predictions."""

import pickle

import numpy as np
import pytest
from _fresh_python import run_python
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error


@pytest.fixture(scope="module")
def X():
    return (load_digits().data / 16).astype(np.float32)


def test_partial_fit_builds_once_and_keeps_optimizer_state(X):
    ae = AutoencoderTransformer(z_dim=4, batch_size=50, random_state=0)
    ae.partial_fit(X[:500])
    encoder = ae.encoder_
    ae.partial_fit(X[500:1000])
    assert ae.encoder_ is encoder  # the same model, trained on
    assert ae.n_iter_ == 2 and len(ae.history_["loss"]) == 2
    assert int(ae._training_model.optimizer.iterations) == 20  # 10 steps per chunk
    assert ae.training_codes_.shape == (500, 4)  # of the last chunk
    assert ae.transform(X).shape == (len(X), 4)


def test_partial_fit_after_cosine_fit_trains_at_the_set_rate(X):
    ae = AutoencoderTransformer(z_dim=2, epochs=4, random_state=0).fit(X[:300])
    assert ae.best_epoch_ == 4
    # The cosine schedule ends the fit at a small fraction of the rate ...
    assert ae.history_["learning_rate"][-1] < 0.2 * ae.learning_rate
    # ... but each partial_fit call is one epoch at learning_rate, as set now.
    ae.partial_fit(X[300:600])
    ae.set_params(learning_rate=5e-4).partial_fit(X[600:900])
    assert ae.history_["learning_rate"][-2:] == pytest.approx([2e-3, 5e-4])
    assert float(ae._training_model.optimizer.learning_rate) == pytest.approx(5e-4)


def test_constant_schedule_keeps_the_rate(X):
    ae = AutoencoderTransformer(
        z_dim=2, epochs=3, learning_rate_schedule="constant", random_state=0
    ).fit(X[:300])
    assert ae.history_["learning_rate"] == [2e-3] * 3
    assert float(ae._training_model.optimizer.learning_rate) == pytest.approx(2e-3)


def test_partial_fit_validates_every_chunk(X):
    ae = AutoencoderTransformer(z_dim=2, random_state=0).partial_fit(X[:100])
    with pytest.raises(ValueError, match="X has 10 features"):
        ae.partial_fit(np.random.rand(50, 10))
    with pytest.raises(ValueError, match="NaN"):
        ae.partial_fit(np.full((50, 64), np.nan))
    assert ae.n_iter_ == 1


def test_streaming_from_a_memory_map_matches_fit(X, tmp_path):
    path = tmp_path / "digits.npy"
    np.save(path, X)
    stream = np.load(path, mmap_mode="r")
    params = {"z_dim": 8, "batch_size": 64, "random_state": 0}
    n_passes, chunk = 30, 600
    streamed = AutoencoderTransformer(**params)
    for _ in range(n_passes):
        for start in range(0, len(stream), chunk):
            streamed.partial_fit(stream[start : start + chunk])
    fitted = AutoencoderTransformer(
        epochs=n_passes, validation_fraction=0, early_stopping=False, **params
    ).fit(X)
    streamed_error = reconstruction_error(streamed, X)
    fitted_error = reconstruction_error(fitted, X)
    assert streamed_error < 1.25 * fitted_error, (streamed_error, fitted_error)


def test_partial_fit_continues_after_pickling(X):
    ae = AutoencoderTransformer(z_dim=2, random_state=0).partial_fit(X[:300])
    restored = pickle.loads(pickle.dumps(ae))
    assert not hasattr(restored, "_training_model")
    np.testing.assert_array_equal(restored.transform(X), ae.transform(X))
    restored.partial_fit(X[300:600])
    assert restored.n_iter_ == 2
    # the rebuilt training model trains the very layers that transform uses
    assert not np.array_equal(restored.transform(X), ae.transform(X))


def test_grid_search_on_a_dask_cluster_agrees_with_local(X):
    distributed = pytest.importorskip("distributed")
    import joblib

    def search():
        return GridSearchCV(
            AutoencoderTransformer(epochs=3, random_state=0), {"z_dim": [1, 4]}, cv=2
        )

    local = search().fit(X[:400])
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_backend("dask"),
    ):
        remote = search().fit(X[:400])
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"],
        local.cv_results_["mean_test_score"],
        rtol=1e-5,
    )
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(
        remote.best_estimator_.transform(X[:50]),
        local.best_estimator_.transform(X[:50]),
        rtol=1e-5,
    )


# -- memory ----------------------------------------------------------------------------

MEMORY_RUN = """
import numpy as np
from skae import AutoencoderTransformer
from skae.datasets import load_mnist

def rss_mb(field):
    with open("/proc/self/status") as f:
        return int(next(l for l in f if l.startswith(field)).split()[1]) / 1024

X = load_mnist(data_home={home!r}).data[:20_000]
ae = AutoencoderTransformer(
    10, image_shape=(28, 28), epochs=1, compute_dtype="float32", random_state=0
).fit(X[:500])
Z = ae.transform(X[:500]); ae.inverse_transform(Z); ae.score_samples(X[:500])
for method, data in [("transform", X), ("inverse_transform", None),
                     ("score_samples", X)]:
    if data is None:
        data = ae.transform(X)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets the peak (VmHWM) to the current size
    before = rss_mb("VmRSS")
    out = getattr(ae, method)(data)
    print(method, rss_mb("VmHWM") - before, out.nbytes / 2**20)
    del out
"""


def test_predicting_on_20000_images_allocates_little_beyond_the_output(mnist_home):
    # Unbatched, the first layer's activations alone would be 20,000 x 14 x
    # 14 x 8 floats (120 MB): the 50 MB allowance leaves no room for them.
    lines = run_python(MEMORY_RUN.format(home=str(mnist_home))).split("\n")
    for line in filter(None, lines):
        _, extra, output = line.split()
        assert float(extra) <= float(output) + 50, line
