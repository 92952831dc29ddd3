"""The latent explorer, driven without a browser."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skae import AutoencoderTransformer

pytest.importorskip("ipywidgets")
from skae.widgets import explore_latent


@pytest.fixture(scope="module")
def ae2():
    X = load_digits().data[:200] / 16
    return AutoencoderTransformer(z_dim=2, epochs=3, random_state=0).fit(X), X


def test_sliders_decode_live(ae2):
    ae, _ = ae2
    explorer = explore_latent(ae)
    z1, z2 = explorer.sliders
    assert (z1.description, z2.description) == ("z1", "z2")
    assert (z1.min, z1.max) == (-5, 5)
    first_png = bytes(explorer.image.value)
    assert first_png.startswith(b"\x89PNG")

    z1.value, z2.value = 2.0, -3.0  # what dragging the sliders does
    np.testing.assert_array_equal(explorer.code(), [2.0, -3.0])
    expected = ae.inverse_transform(np.array([[2.0, -3.0]])).reshape(8, 8)
    np.testing.assert_allclose(explorer.decode(), expected, rtol=1e-6)
    assert bytes(explorer.image.value) != first_png


def test_starts_at_the_mean_code_of_X(ae2):
    ae, X = ae2
    explorer = explore_latent(ae, X=X, scale=2)
    np.testing.assert_allclose(explorer.code(), ae.transform(X).mean(axis=0), rtol=1e-6)
    import io

    import matplotlib.image

    png = matplotlib.image.imread(io.BytesIO(bytes(explorer.image.value)))
    assert png.shape[:2] == (16, 16)  # 8x8 pixels shown twice as large
