"""Test settings shared by tests/ and the doctests in skae/."""

import os

import pytest

# Keep TensorFlow's C++ start-up chatter out of the test log, and draw
# figures without a display.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")


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
