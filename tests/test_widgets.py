"""The latent explorer, driven without a browser."""

import io
import sys

import ipywidgets  # noqa: F401 (a test dependency: missing, the module fails)
import matplotlib.image
import numpy as np
import pytest

from skae import AutoencoderTransformer
from skae.widgets import explore_latent


@pytest.fixture(scope="module")
def ae2(digits):
    X = digits[0][:200]
    return AutoencoderTransformer(z_dim=2, epochs=3, random_state=0).fit(X), X


def test_sliders_decode_live(ae2):
    ae, _ = ae2
    explorer = explore_latent(ae, value_range=(-5, 5))
    z1, z2 = explorer.sliders
    assert (z1.description, z2.description) == ("z1", "z2")
    assert (z1.min, z1.max, z1.step) == (-5, 5, 0.1)
    first_png = bytes(explorer.image.value)
    assert first_png.startswith(b"\x89PNG")

    z1.value, z2.value = 2.0, -3.0  # what dragging the sliders does
    np.testing.assert_array_equal(explorer.code(), [2.0, -3.0])
    expected = ae.inverse_transform(np.array([[2.0, -3.0]])).reshape(8, 8)
    np.testing.assert_allclose(explorer.decode(), expected, rtol=1e-6)
    assert bytes(explorer.image.value) != first_png


def test_range_and_start_come_from_the_codes(ae2):
    ae, X = ae2
    codes = ae.transform(X)
    explorer = explore_latent(ae, X=X, scale=2)
    z1, z2 = explorer.sliders
    assert (z1.min, z1.max) == pytest.approx((codes[:, 0].min(), codes[:, 0].max()))
    assert (z2.min, z2.max) == pytest.approx((codes[:, 1].min(), codes[:, 1].max()))
    np.testing.assert_allclose(explorer.code(), codes.mean(axis=0), rtol=1e-5)
    png = matplotlib.image.imread(io.BytesIO(bytes(explorer.image.value)))
    assert png.shape[:2] == (16, 16)  # 8x8 pixels shown twice as large
    # without X, the codes kept from training set the range
    kept = ae.training_codes_
    z1 = explore_latent(ae).sliders[0]
    assert (z1.min, z1.max) == pytest.approx((kept[:, 0].min(), kept[:, 0].max()))


def test_one_slider_for_a_chosen_dimension(ae2):
    ae, X = ae2
    explorer = explore_latent(ae, X=X, dims=(1,), value_range=(-1, 1), step=0.5)
    (slider,) = explorer.sliders
    assert slider.description == "z2" and slider.step == 0.5
    slider.value = 1.0
    assert explorer.code()[1] == 1.0
    assert explorer.code()[0] == pytest.approx(ae.transform(X)[:, 0].mean(), abs=1e-6)


def test_without_ipywidgets_it_says_what_to_install(ae2, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # as if not installed
    with pytest.raises(ImportError, match=r'pip install "skae\[widgets\]"'):
        explore_latent(ae2[0])
