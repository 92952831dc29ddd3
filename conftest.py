"""Test settings and fixtures shared by tests/ and the doctests in skae/."""

import fcntl
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
# pytest-xdist's workers share the cores as loky's do: each takes its
# share of the threads, which skae passes on to TensorFlow and PyTorch.
# PyTorch's idle threads spin, so workers that each use every core slow one
# another down several times over.
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    share = len(os.sched_getaffinity(0)) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, share)))


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
