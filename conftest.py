"""Test settings and fixtures shared by tests/ and the doctests in skae/."""

import fcntl
import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
MNIST = ROOT.parent / "shared" / "data" / "mnist"
# The benchmarks run as tests, and their fresh-interpreter runner serves the
# tests too.
sys.path.insert(0, str(ROOT / "benchmarks"))

# Figures draw without a display. SciPy reads SCIPY_ARRAY_API once, at its
# import: scikit-learn's array API estimator check needs it, so that no
# check of the conformance suite is skipped.
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("SCIPY_ARRAY_API", "1")
# The doctests read MNIST from the data folder beside the checkout.
os.environ.setdefault("SKAE_DATA_HOME", str(MNIST.parent))
# CI's wheel run tests an installed skae: one imported from this checkout
# would test the checkout instead, unseen.
if os.environ.get("SKAE_TEST_INSTALLED"):
    import skae

    # (an environment inside the checkout, as CI's .venv-floors, is not it)
    if Path(skae.__file__).resolve().is_relative_to(ROOT / "skae"):
        raise RuntimeError(
            f"SKAE_TEST_INSTALLED is set, but skae was imported from the checkout "
            f"({skae.__file__}): run pytest outside the checkout's import path"
        )
# pytest-xdist's workers share the cores as loky's do: each takes its
# share of the threads, which skae passes on to TensorFlow and PyTorch.
# PyTorch's idle threads spin, so workers that each use every core slow one
# another down several times over.
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    share = len(os.sched_getaffinity(0)) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, share)))


# -- the skips we expect ------------------------------------------------------------

BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
BACKENDS_INSTALLED = [
    name for name in ("tensorflow", "jax", "torch") if importlib.util.find_spec(name)
]
# Every test that skips by design: (its node id, or its file's, up to any
# parameters; words of its reason; whether it skips here, None where that
# depends on the machine's load at the time). A run where a test skips that
# is not listed, or a listed test runs that should have skipped, fails: no
# test vanishes unseen (a test dependency that stops importing).
EXPECTED_SKIPS = [
    (
        "tests/test_backends.py::test_a_model_saved_under_one_backend_loads_under_another",
        "only one Keras backend is installed here",
        len(BACKENDS_INSTALLED) == 1,
    ),
    (
        "tests/test_backends.py::test_a_model_saved_under_tensorflow_loads_under_this_backend",
        "this process runs TensorFlow",
        BACKEND == "tensorflow",
    ),
    (
        "tests/test_backends.py::test_this_backend_keeps_to_the_thread_budget_of_a_worker",
        "needs two cores",
        len(os.sched_getaffinity(0)) < 2,
    ),
    # It measures how many cores a process keeps busy: where another process
    # holds a core through three tries, it cannot (CI's floors pass, once).
    (
        "tests/test_backends.py::test_this_backend_keeps_to_the_thread_budget_of_a_worker",
        "the machine is loaded",
        None,
    ),
    (
        "tests/test_backends.py::test_data_parallel_training_on_two_devices_reaches_single_device_quality",
        "data parallelism is JAX's",
        BACKEND != "jax",
    ),
    (
        "tests/test_backends.py::test_two_processes_joined_on_localhost_train_as_one",
        "data parallelism is JAX's",
        BACKEND != "jax",
    ),
    # pyarrow reads parquet (skae's parquet extra), which the test extras
    # do not install (yet): where it is missing, these two skip.
    (
        "tests/test_cli_data.py::test_parquet_with_its_index",
        "could not import 'pyarrow'",
        importlib.util.find_spec("pyarrow") is None,
    ),
    (
        "tests/test_cli_data.py::test_parquet_needs_its_extra",
        "could not import 'pyarrow'",
        importlib.util.find_spec("pyarrow") is None,
    ),
    (
        "tests/test_quiet.py",
        "the retracing warning is TensorFlow's",
        BACKEND != "tensorflow",
    ),
]
_skipped = {}  # node id: reason, of the tests that skipped in this run
_ran = set()  # node ids of the tests that ran (passed, failed or skipped)


def _listed(nodeid, expected):
    """The entries of ``expected`` (as EXPECTED_SKIPS) that name ``nodeid``."""
    test = nodeid.split("[")[0]
    return [
        entry
        for entry in expected
        if test == entry[0] or test.startswith(entry[0] + "::")
    ]


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.skipped):
        _ran.add(report.nodeid)
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped[report.nodeid] = str(report.longrepr[-1]).removeprefix("Skipped: ")


def skip_surprises(ran, skipped, expected=EXPECTED_SKIPS):
    """What differs between the skips of a run and ``expected``, in words.

    ``ran`` holds the node ids of the tests that ran, ``skipped`` the reason
    of each that skipped.
    """
    surprises = []
    for nodeid in sorted(ran):
        entries = _listed(nodeid, expected)
        reason = skipped.get(nodeid)
        if reason is None:
            surprises += [
                f"{nodeid} ran, but is listed to skip here ({words})"
                for _, words, skips in entries
                if skips is True
            ]
        elif not any(words in reason for _, words, skips in entries if skips is not False):
            surprises.append(f"{nodeid} skipped unexpectedly: {reason}")
    return surprises


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    # pytest-xdist's workers see their share of the tests: the run's
    # controller, which sees every report, checks them all.
    if hasattr(session.config, "workerinput") or not skip_surprises(_ran, _skipped):
        return
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    surprises = skip_surprises(_ran, _skipped)
    if surprises and not hasattr(terminalreporter.config, "workerinput"):
        terminalreporter.section("skips that conftest.py does not expect", red=True)
        for line in surprises:
            terminalreporter.line(line, red=True)


@pytest.fixture(scope="session")
def mnist_home():
    """The real MNIST folder; its absence fails the test, never skips it."""
    if not MNIST.is_dir():
        pytest.fail(
            f"real MNIST not found at {MNIST}: the test suite expects the "
            "shared data folder beside the checkout (../shared/data/mnist)"
        )
    return MNIST


@pytest.fixture(scope="session")
def digits():
    """Scikit-learn's 1,797 digits as ``(X, y)``: pixels scaled to [0, 1], float64.

    Shared by every test of a session, so read-only.
    """
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return _read_only(X / 16), _read_only(y)


@pytest.fixture(scope="session")
def digits32(digits):
    """The digits' pixels as float32, the dtype of images in the wild."""
    return _read_only(digits[0].astype("float32"))


@pytest.fixture(scope="module")
def small_fit(digits):
    """A model fitted quickly on the first 300 digits, and those digits."""
    from skae import AutoencoderTransformer

    X = digits[0][:300]
    return AutoencoderTransformer(z_dim=3, epochs=3, random_state=0).fit(X), X


@pytest.fixture(scope="session")
def untrained():
    """Parameters under which a fit trains nothing: a step too small to move
    any weight, every epoch kept. With ``init="pca"`` (the default) the
    model is then its start, PCA of the training rows; tests of quality
    compare a trained model with the same model fitted with these."""
    return {
        "epochs": 1,
        "learning_rate": 1e-30,
        "validation_fraction": 0,
        "early_stopping": False,
    }


def _read_only(array):
    array.flags.writeable = False
    return array


@pytest.fixture(autouse=True)
def _alone_when_marked(request, tmp_path_factory):
    """Under pytest-xdist, a test marked ``alone`` runs while no other does.

    A readers-writer lock over files that all workers share: every test
    holds ``room`` shared, an ``alone`` test holds it exclusively. Passing
    through ``gate`` first lets a waiting ``alone`` test in before the other
    workers' next tests, instead of after all of them.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        yield
        return
    shared = tmp_path_factory.getbasetemp().parent  # one folder for all workers
    alone = request.node.get_closest_marker("alone") is not None
    with (
        open(shared / "gate.lock", "w") as gate,
        open(shared / "room.lock", "w") as room,
    ):
        fcntl.flock(gate, fcntl.LOCK_EX)
        fcntl.flock(room, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if not alone:
            fcntl.flock(gate, fcntl.LOCK_UN)
        yield  # closing the files releases their locks


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def no_network(monkeypatch):
    """Make every download fail at once, as on a machine with no network."""
    import pooch

    def refuse(*args, **kwargs):
        raise ConnectionError("network is unreachable")

    monkeypatch.setattr(pooch, "retrieve", refuse)
