"""Test settings shared by tests/ and the doctests in skae/."""

import os
from pathlib import Path

import pytest

MNIST = Path(__file__).resolve().parent.parent / "shared" / "data" / "mnist"

# Figures draw without a display. SciPy reads SCIPY_ARRAY_API once, at its
# import: scikit-learn's array API estimator check needs it, so that no
# check of the conformance suite is skipped.
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("SCIPY_ARRAY_API", "1")
# The doctests read MNIST from the data folder beside the checkout.
os.environ.setdefault("SKAE_DATA_HOME", str(MNIST.parent))


@pytest.fixture(scope="session")
def mnist_home():
    """The real MNIST folder; its absence fails the test, never skips it."""
    if not MNIST.is_dir():
        pytest.fail(
            f"real MNIST not found at {MNIST}: the test suite expects the "
            "shared data folder beside the checkout (../shared/data/mnist)"
        )
    return MNIST


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
