import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer, plotting


@pytest.fixture(scope="module")
def few_digits(digits):
    """The first 300 digits, and their labels."""
    X, y = digits
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def ae2(few_digits):
    X, _ = few_digits
    return AutoencoderTransformer(z_dim=2, epochs=5, random_state=0).fit(X)


def test_reconstructions_show_originals_over_reconstructions(ae2, few_digits):
    X = few_digits[0]
    fig = plotting.plot_reconstructions(ae2, X, n_images=6)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 12
    top, bottom = fig.axes[0], fig.axes[6]
    np.testing.assert_allclose(top.get_images()[0].get_array(), X[0].reshape(8, 8))
    expected = ae2.inverse_transform(ae2.transform(X[:1])).reshape(8, 8)
    np.testing.assert_allclose(bottom.get_images()[0].get_array(), expected, rtol=1e-6)
    assert top.get_ylabel() == "original" and bottom.get_ylabel() == "reconstructed"
    mse = np.mean((X[:6] - ae2.inverse_transform(ae2.transform(X[:6]))) ** 2)
    assert fig._suptitle.get_text() == (
        f"AutoencoderTransformer: MSE {mse:.4f} on these images"
    )


def test_non_square_rows_need_an_image_shape():
    X = np.random.RandomState(0).rand(10, 12)
    pca = PCA(2).fit(X)
    with pytest.raises(ValueError, match="image_shape"):
        plotting.plot_reconstructions(pca, X)
    fig = plotting.plot_reconstructions(pca, X, image_shape=(3, 4), n_images=2)
    assert fig.axes[0].get_images()[0].get_array().shape == (3, 4)


def test_colour_images_are_shown_in_colour():
    X = np.random.RandomState(0).rand(20, 4 * 5 * 3)
    pca = PCA(3).fit(X)
    fig = plotting.plot_reconstructions(pca, X, image_shape=(4, 5, 3), n_images=2)
    image = fig.axes[0].get_images()[0]
    assert image.get_array().shape == (4, 5, 3)
    grid = plotting.plot_latent_grid(pca, X, n_steps=3, image_shape=(4, 5, 3))
    assert grid.axes[0].get_images()[0].get_array().shape == (14, 17, 3)


def test_latent_scatter_places_and_colours_each_code(ae2, few_digits):
    X, y = few_digits
    fig = plotting.plot_latent_scatter(ae2, X, y, n_samples=100, cmap="viridis")
    scatter_ax, colorbar_ax = fig.axes
    assert colorbar_ax.get_ylabel() == "label"
    points = scatter_ax.collections[0]
    rows = np.random.default_rng(0).choice(len(X), size=100, replace=False)
    np.testing.assert_allclose(points.get_offsets(), ae2.transform(X[rows]), rtol=1e-6)
    np.testing.assert_array_equal(points.get_array(), y[rows])  # colour by label
    assert points.get_cmap().name == "viridis"
    assert (scatter_ax.get_xlabel(), scatter_ax.get_ylabel()) == ("z1", "z2")


def test_latent_scatter_names_classes_that_are_not_numbers(few_digits):
    X, y = few_digits
    pca = PCA(2).fit(X)
    names = np.array(["zero", "one", "two", "three", "four"] * 2)[y]
    fig = plotting.plot_latent_scatter(pca, X, names, n_samples=100)
    scatter_ax, colorbar_ax = fig.axes
    rows = np.random.default_rng(0).choice(len(X), size=100, replace=False)
    points = scatter_ax.collections[0]
    sorted_names = sorted(set(names))  # the classes' order on the colour bar
    np.testing.assert_array_equal(
        points.get_array(), [sorted_names.index(n) for n in names[rows]]
    )
    assert [t.get_text() for t in colorbar_ax.get_yticklabels()] == sorted_names
    assert points.get_cmap().N == 5  # a colour per class
    # a categorical keeps its own order of classes
    order = ["two", "one", "zero", "four", "three"]
    fig = plotting.plot_latent_scatter(pca, X, pd.Categorical(names, categories=order))
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == order
    # more classes than the bar has room to name: colours only
    many = np.array([f"class {i}" for i in range(len(X))])
    fig = plotting.plot_latent_scatter(pca, X, many, n_samples=100)
    assert "class 0" not in [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert fig.axes[0].collections[0].get_cmap().N == len(X)


def test_latent_scatter_without_labels_draws_one_colour(few_digits):
    X, y = few_digits
    fig = plotting.plot_latent_scatter(PCA(2).fit(X), X)
    assert len(fig.axes) == 1  # no colour bar
    assert fig.axes[0].collections[0].get_array() is None
    with pytest.raises(ValueError, match="y has 299 labels for 300 rows"):
        plotting.plot_latent_scatter(PCA(2).fit(X), X, y[1:])


def test_latent_scatter_projects_wider_codes_and_jitters_one(few_digits):
    X, y = few_digits
    fig = plotting.plot_latent_scatter(PCA(5).fit(X), X, y)
    assert fig.axes[0].get_xlabel() == "PC1 of the codes"
    assert fig.axes[0].collections[0].get_offsets().shape == (300, 2)
    fig = plotting.plot_latent_scatter(PCA(1).fit(X), X, y)
    assert fig.axes[0].get_ylabel() == "jitter"


def test_latent_scatter_draws_into_a_given_axes(ae2, few_digits):
    fig, ax = plt.subplots()
    assert plotting.plot_latent_scatter(ae2, *few_digits, ax=ax) is fig
    assert len(ax.collections) == 1


def test_latent_grid_spans_each_axis_own_range_in_round_steps(ae2, few_digits):
    X = few_digits[0]
    fig = plotting.plot_latent_grid(ae2, X)
    ax = fig.axes[0]
    mosaic = ax.get_images()[0].get_array()
    assert mosaic.shape == (89, 89)  # 10 x 10 digits of 8 x 8, 1-pixel gaps
    codes = ae2.transform(X)
    for labels, dim in [(ax.get_xticklabels(), 0), (ax.get_yticklabels(), 1)]:
        values = np.array([float(t.get_text()) for t in labels])
        if dim == 1:
            values = values[::-1]  # high values at the top
        steps = np.diff(values)
        np.testing.assert_allclose(steps, steps[0])  # a regular grid
        mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]))
        assert min(abs(mantissa - m) for m in (1, 2, 2.5, 5)) < 1e-9  # round
        low, high = np.percentile(codes[:, dim], [2, 98])
        assert values[0] <= low + steps[0] and values[-1] >= high - steps[0]
        assert all(len(t.get_text()) <= 6 for t in labels)  # no float noise
    # the top-left tile decodes (smallest z1, largest z2)
    z1 = float(ax.get_xticklabels()[0].get_text())
    z2 = float(ax.get_yticklabels()[0].get_text())
    expected = ae2.inverse_transform(np.array([[z1, z2]], np.float32)).reshape(8, 8)
    np.testing.assert_allclose(mosaic[:8, :8], np.clip(expected, 0, 1), atol=1e-4)
    assert mosaic[8, 0] == 1.0  # the white gap between tiles


def test_latent_grid_the_tutorials_way(ae2):
    fig = plotting.plot_latent_grid(ae2, values="tutorial")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        str(v) for v in range(-5, 5)
    ]
    expected = ae2.inverse_transform(np.array([[-5.0, 4.0]], np.float32))
    np.testing.assert_allclose(
        ax.get_images()[0].get_array()[:8, :8],
        np.clip(expected.reshape(8, 8), 0, 1),
        atol=1e-6,
    )


def test_latent_grid_without_X_uses_the_training_codes(ae2):
    fig = plotting.plot_latent_grid(ae2, n_steps=4)
    assert fig.axes[0].get_images()[0].get_array().shape == (35, 35)
    with pytest.raises(ValueError, match="pass X"):
        plotting.plot_latent_grid(PCA(2).fit(np.random.rand(20, 16)))


def test_latent_grid_says_where_the_other_dimensions_stay(few_digits):
    X = few_digits[0]
    pca = PCA(4).fit(X)
    fig = plotting.plot_latent_grid(pca, X, dims=(1, 3), values=[-1, 0])
    ax = fig.axes[0]
    mosaic = ax.get_images()[0].get_array()
    code = pca.transform(X).mean(axis=0)
    code[[1, 3]] = [-1, 0]  # top-left: first x value, last y value
    expected = np.clip(pca.inverse_transform(code[None]).reshape(8, 8), 0, 1)
    np.testing.assert_allclose(mosaic[:8, :8], expected, rtol=1e-6)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("z2", "z4")
    assert "the other 2 dimensions at their mean over X" in ax.get_title()
    with pytest.raises(ValueError, match="at least two"):
        plotting.plot_latent_grid(PCA(1).fit(X), X)


def test_tick_labels_have_no_float_noise():
    assert plotting._tick_labels(
        np.array([-4.440892098500626e-16, 0.30000000000000004, 1.5])
    ) == ["0", "0.3", "1.5"]


def test_history_curves_have_integer_epochs(ae2):
    fig = plotting.plot_history(ae2)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["loss", "val_loss"]
    for line, name in zip(lines, ["loss", "val_loss"]):
        np.testing.assert_allclose(line.get_ydata(), ae2.history_[name])
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 6))
    assert not np.allclose(ae2.history_["loss"], ae2.history_["val_loss"])
    assert ax.get_xlabel() == "epoch"
    fig.canvas.draw()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert all(float(t).is_integer() for t in ticks)


def test_error_vs_z_draws_into_a_given_axes():
    fig, ax = plt.subplots()
    results = {"method": ["PCA", "AE"], "z_dim": [2, 2], "mse": [0.05, 0.04]}
    assert plotting.plot_error_vs_z(results, ax=ax) is fig
    assert len(ax.get_lines()) == 2
    assert ax.get_xscale() == "linear"  # one z_dim: no lone log tick
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2"]


def test_error_vs_z_with_several_sizes_is_on_log_axes():
    results = {
        "method": ["PCA"] * 3 + ["AE"] * 3,
        "z_dim": [2, 10, 30] * 2,
        "mse": [0.056, 0.034, 0.018, 0.036, 0.01, 0.003],
    }
    ax = plotting.plot_error_vs_z(results).axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    pca, ae = ax.get_lines()
    assert (pca.get_label(), ae.get_label()) == ("PCA", "AE")
    np.testing.assert_array_equal(pca.get_xdata(), [2, 10, 30])
    np.testing.assert_allclose(pca.get_ydata(), [0.056, 0.034, 0.018])
    np.testing.assert_allclose(ae.get_ydata(), [0.036, 0.01, 0.003])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "10", "30"]


def test_error_vs_z_lines_follow_the_rows_in_z_order():
    results = {
        "method": ["AE", "AE", "AE"],
        "z_dim": [10, 2, 5],
        "mse": [0.01, 0.03, 0.05],  # not a decreasing curve: nothing to sort by
    }
    (line,) = plotting.plot_error_vs_z(results).axes[0].get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [2, 5, 10])
    np.testing.assert_allclose(line.get_ydata(), [0.03, 0.05, 0.01])


def test_error_vs_z_of_fitted_models_draws_their_curves(few_digits):
    from skae.metrics import reconstruction_error

    X = few_digits[0]
    ax = plotting.plot_error_vs_z(PCA(4).fit(X), X, pca=PCA(6).fit(X)).axes[0]
    theirs, ours = ax.get_lines()
    assert (theirs.get_label(), ours.get_label()) == ("PCA", "autoencoder")
    # the first k codes of one fit reconstruct as PCA(k)
    errors = [reconstruction_error(PCA(k).fit(X), X) for k in range(1, 7)]
    np.testing.assert_array_equal(theirs.get_xdata(), range(1, 7))
    np.testing.assert_allclose(theirs.get_ydata(), errors, rtol=1e-6)
    np.testing.assert_array_equal(ours.get_xdata(), range(1, 5))
    np.testing.assert_allclose(ours.get_ydata(), errors[:4], rtol=1e-6)
