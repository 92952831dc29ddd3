import matplotlib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer, plotting


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16)[:300], y[:300]


@pytest.fixture(scope="module")
def ae2(digits):
    return AutoencoderTransformer(z_dim=2, epochs=5, random_state=0).fit(digits[0])


def test_reconstructions_show_originals_over_reconstructions(ae2, digits):
    X = digits[0]
    fig = plotting.plot_reconstructions(ae2, X, n_images=6)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 12
    top, bottom = fig.axes[0], fig.axes[6]
    np.testing.assert_allclose(top.get_images()[0].get_array(), X[0].reshape(8, 8))
    expected = ae2.inverse_transform(ae2.transform(X[:1])).reshape(8, 8)
    np.testing.assert_allclose(bottom.get_images()[0].get_array(), expected, rtol=1e-6)
    assert top.get_ylabel() == "original" and bottom.get_ylabel() == "reconstructed"
    assert "MSE" in fig._suptitle.get_text()


def test_non_square_rows_need_an_image_shape():
    X = np.random.RandomState(0).rand(10, 12)
    pca = PCA(2).fit(X)
    with pytest.raises(ValueError, match="image_shape"):
        plotting.plot_reconstructions(pca, X)
    fig = plotting.plot_reconstructions(pca, X, image_shape=(3, 4), n_images=2)
    assert fig.axes[0].get_images()[0].get_array().shape == (3, 4)


def test_latent_scatter_has_colour_bar_and_labels(ae2, digits):
    X, y = digits
    fig = plotting.plot_latent_scatter(ae2, X, y, n_samples=100)
    scatter_ax, colorbar_ax = fig.axes
    assert colorbar_ax.get_ylabel() == "label"
    offsets = scatter_ax.collections[0].get_offsets()
    assert offsets.shape == (100, 2)
    assert (scatter_ax.get_xlabel(), scatter_ax.get_ylabel()) == ("z1", "z2")


def test_latent_scatter_projects_wider_codes(digits):
    X, y = digits
    fig = plotting.plot_latent_scatter(PCA(5).fit(X), X, y)
    assert fig.axes[0].get_xlabel() == "PC1 of the codes"
    assert fig.axes[0].collections[0].get_offsets().shape == (300, 2)


def test_latent_grid_is_the_tutorials_10x10(ae2):
    fig = plotting.plot_latent_grid(ae2)
    ax = fig.axes[0]
    mosaic = ax.get_images()[0].get_array()
    assert mosaic.shape == (80, 80)  # 10 x 10 digits of 8 x 8
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        str(v) for v in range(-5, 5)
    ]
    # the top-left tile is decoded from z = (-5, 4)
    expected = ae2.inverse_transform(np.array([[-5.0, 4.0]])).reshape(8, 8)
    np.testing.assert_allclose(mosaic[:8, :8], np.clip(expected, 0, 1), rtol=1e-5)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("z1", "z2")


def test_latent_grid_varies_two_dims_around_the_mean_code(digits):
    X = digits[0]
    pca = PCA(4).fit(X)
    fig = plotting.plot_latent_grid(pca, X=X, dims=(1, 3), start=-1, stop=1, step=1)
    mosaic = fig.axes[0].get_images()[0].get_array()
    code = pca.transform(X).mean(axis=0)
    code[[1, 3]] = [-1, 0]  # top-left: first x value, last y value
    expected = np.clip(pca.inverse_transform(code[None]).reshape(8, 8), 0, 1)
    np.testing.assert_allclose(mosaic[:8, :8], expected, rtol=1e-6)
    assert fig.axes[0].get_xlabel() == "z2" and fig.axes[0].get_ylabel() == "z4"


def test_history_curves(ae2):
    fig = plotting.plot_history(ae2)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["loss", "val_loss"]
    np.testing.assert_allclose(lines[0].get_ydata(), ae2.history_["loss"])
    assert fig.axes[0].get_xlabel() == "epoch"


def test_error_vs_z_draws_into_a_given_axes():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    results = {"method": ["PCA", "AE"], "z_dim": [2, 2], "mse": [0.05, 0.04]}
    assert plotting.plot_error_vs_z(results, ax=ax) is fig
    assert len(ax.get_lines()) == 2
