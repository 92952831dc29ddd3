"""skae._images: the shapes and codes that plotting and widgets show (NumPy only)."""

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.decomposition import PCA

from skae._images import center_code, display_shape, latent_size


def test_display_shape_from_the_argument_the_estimator_or_a_square():
    fitted = SimpleNamespace(image_shape_=(4, 5, 3))
    assert display_shape(fitted, [2, 30], 60) == (2, 30)  # given: it wins
    assert display_shape(fitted, None, 60) == (4, 5, 3)  # the fitted image shape
    assert display_shape(object(), None, 64) == (8, 8)  # a square, if rows are one
    assert display_shape(object(), (6, 7, 1), 42) == (6, 7)  # one channel: grey
    with pytest.raises(ValueError, match="cannot show rows of 60 features as images"):
        display_shape(object(), None, 60)


def test_latent_size_of_ours_of_pca_and_of_neither():
    assert latent_size(SimpleNamespace(z_dim_=3, n_components_=9)) == 3
    assert latent_size(PCA(2).fit(np.eye(4))) == 2
    assert latent_size(object()) is None


def test_center_code_is_the_mean_code_of_x_or_the_zero_code():
    X = np.random.default_rng(0).normal(size=(30, 4))
    pca = PCA(2).fit(X)
    np.testing.assert_allclose(center_code(pca, X[:10]), pca.transform(X[:10]).mean(0))
    np.testing.assert_array_equal(center_code(pca), [0.0, 0.0])
    with pytest.raises(ValueError, match="pass X so that its mean code fixes"):
        center_code(object())
