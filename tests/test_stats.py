"""skae._stats: the NumPy statistics, against scikit-learn's PCA.

(draw_near, the kernel density of sample(), is also tested through sample() in
test_generative.py.)
"""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from skae import _stats

# Run under every Keras backend (see .ci/run).
pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def X():
    """200 rows, 6 features of unequal variances, on no common scale."""
    rng = np.random.default_rng(0)
    return rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6)) * 3 + 5


def axes_of(X, n_components, max_covariance_features=100, rows=None):
    rows = np.arange(len(X)) if rows is None else rows
    return _stats.principal_axes(
        X,
        rows,
        n_components,
        max_covariance_features=max_covariance_features,
        seed=0,
    )


def _signed(components):
    """Each row signed so that its largest entry is positive, as skae signs them."""
    largest = components[np.arange(len(components)), np.argmax(abs(components), 1)]
    return components * np.sign(largest)[:, None]


def test_per_sample_squared_error_is_a_mean_over_features_of_each_row():
    X = np.array([[0.0, 0.0], [1.0, 3.0]])
    back = np.array([[1.0, 1.0], [1.0, 1.0]], dtype=np.float32)
    np.testing.assert_array_equal(_stats.per_sample_squared_error(X, back), [1, 2])
    images = X.reshape(2, 1, 2)  # any sample shape, against flat rows
    np.testing.assert_array_equal(_stats.per_sample_squared_error(images, back), [1, 2])


def test_pca_mean_squared_error_is_pcas_in_chunks_of_the_rows_asked_for(X):
    axes = axes_of(X, 3)
    rows = np.arange(1, len(X), 2)
    pca = PCA(3).fit(X)
    expected = np.mean((X[rows] - pca.inverse_transform(pca.transform(X[rows]))) ** 2)
    for chunk in (7, 4096):
        error = _stats.pca_mean_squared_error(axes, X, rows, chunk=chunk)
        assert error == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("sizes", [None, [3], [1, 3]])
def test_pca_errors_are_pcas_row_by_row_at_each_size_asked_for(X, sizes):
    errors = _stats.pca_errors(axes_of(X, 3), X, sizes=sizes)
    for k, error in zip([1, 2, 3] if sizes is None else sizes, errors, strict=True):
        pca = PCA(k).fit(X)
        expected = np.sum((X - pca.inverse_transform(pca.transform(X))) ** 2, axis=1)
        np.testing.assert_allclose(error, expected, rtol=1e-6)


@pytest.mark.parametrize("path", ["covariance", "sampled"])
def test_principal_axes_are_pca_of_the_data(X, path):
    # Beyond max_covariance_features, a PCA of a sample of at most 5,000
    # rows (here all 200) finds the axes instead of the covariance matrix.
    axes = axes_of(X, 3, max_covariance_features=100 if path == "covariance" else 2)
    pca = PCA(3).fit(X)
    np.testing.assert_allclose(axes.mean, X.mean(axis=0))
    # one overall scale: the root of the mean variance per feature
    assert axes.scale == pytest.approx(np.sqrt(X.var(axis=0).mean()))
    np.testing.assert_allclose(axes.components, _signed(pca.components_), atol=1e-5)
    np.testing.assert_allclose(
        axes.explained_variance_ratio, pca.explained_variance_ratio_, rtol=1e-5
    )
    np.testing.assert_allclose(
        axes.components @ axes.components.T, np.eye(3), atol=1e-6
    )


def test_principal_axes_read_only_the_rows_asked_for_in_chunks(X, monkeypatch):
    monkeypatch.setattr(_stats, "_CHUNK_ROWS", 7)  # many chunks, the last one short
    rows = np.arange(0, 200, 3)
    axes = axes_of(X, 2, rows=rows)
    pca = PCA(2).fit(X[rows])
    np.testing.assert_allclose(axes.mean, X[rows].mean(axis=0))
    np.testing.assert_allclose(axes.components, _signed(pca.components_), atol=1e-5)


@pytest.mark.parametrize(
    "path",
    ["covariance", "sampled"],
)
def test_axes_beyond_the_rank_of_the_data_are_zero(path):
    rng = np.random.default_rng(1)
    rank_two = rng.normal(size=(100, 2)) @ rng.normal(size=(2, 6))
    axes = axes_of(
        rank_two, 4, max_covariance_features=100 if path == "covariance" else 2
    )
    assert axes.components.shape == (4, 6)
    np.testing.assert_allclose(
        axes.components[:2], _signed(PCA(2).fit(rank_two).components_), atol=1e-5
    )
    np.testing.assert_array_equal(axes.components[2:], 0)
    np.testing.assert_array_equal(axes.explained_variance_ratio[2:], 0)
    assert axes.explained_variance_ratio[:2].sum() == pytest.approx(1)


@pytest.mark.parametrize("path", ["covariance", "sampled"])
def test_a_share_of_the_variance_picks_as_many_axes_as_pca(X, path):
    for share in (0.5, 0.9, 0.99):
        axes = axes_of(
            X, share, max_covariance_features=100 if path == "covariance" else 2
        )
        assert len(axes.components) == PCA(share).fit(X).n_components_, share
    # a share met exactly by the first axis takes the next one too, as in PCA
    ties = np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1]])
    assert len(axes_of(ties, 0.5).components) == PCA(0.5).fit(ties).n_components_ == 2


@pytest.mark.parametrize("n_components", [0, 1])
def test_no_axis_or_one_axis(X, n_components):
    axes = axes_of(X, n_components)
    assert axes.components.shape == (n_components, 6)
    assert axes.explained_variance_ratio.shape == (n_components,)
    np.testing.assert_allclose(axes.mean, X.mean(axis=0))
    assert axes.scale == pytest.approx(np.sqrt(X.var(axis=0).mean()))
    if n_components:
        np.testing.assert_allclose(
            axes.components, _signed(PCA(1).fit(X).components_), atol=1e-6
        )


def test_a_scale_below_one_is_kept(X):
    assert axes_of(X / 1000, 2).scale == pytest.approx(
        np.sqrt(X.var(axis=0).mean()) / 1000
    )


def test_float32_data_and_rank_one_data_leave_no_noise_axes():
    # float32 sums would leave noise eigenvalues of 1e-7 of the largest.
    rng = np.random.default_rng(1)
    rank_two = rng.normal(size=(500, 2)) @ rng.normal(size=(2, 20)) + 100
    axes = axes_of(rank_two.astype(np.float32), 5)
    np.testing.assert_array_equal(axes.components[2:], 0)
    rank_one = np.outer(rng.normal(size=50), rng.normal(size=4))
    np.testing.assert_array_equal(axes_of(rank_one, 3).components[1:], 0)


def test_up_to_max_covariance_features_every_row_counts_beyond_a_seeded_sample():
    X = np.random.default_rng(2).normal(size=(6000, 3)) * [3.0, 2.0, 1.0]
    every_row = axes_of(X, 2, max_covariance_features=3)
    np.testing.assert_allclose(
        every_row.explained_variance_ratio[:2],
        PCA(3).fit(X).explained_variance_ratio_[:2],
        rtol=1e-10,
    )
    # beyond, 5,000 rows drawn by the seed: the same axes at every call
    first, again = (axes_of(X, 2, max_covariance_features=2) for _ in range(2))
    np.testing.assert_array_equal(first.components, again.components)


def test_constant_data_keeps_a_scale_of_one():
    axes = axes_of(np.full((10, 3), 4.0), 2)
    assert axes.scale == 1.0
    np.testing.assert_array_equal(axes.mean, [4, 4, 4])
    np.testing.assert_array_equal(axes.components, 0)


def test_draws_spread_like_the_codes_widened_by_scotts_bandwidth():
    # A draw is a stored code plus noise of the codes' covariance times
    # bandwidth**2, so the draws' covariance is the codes' (as a population)
    # plus bandwidth**2 times their sample covariance.
    codes = np.random.default_rng(0).normal(size=(5, 2)) @ [[2.0, 0.0], [1.0, 0.5]]
    draws = _stats.draw_near(codes, 200_000, np.random.RandomState(1))
    assert draws.shape == (200_000, 2)
    bandwidth = 5 ** (-1 / (2 + 4))
    expected = np.cov(codes.T, bias=True) + bandwidth**2 * np.cov(codes.T)
    np.testing.assert_allclose(np.cov(draws.T), expected, rtol=0.02, atol=0.01)
    np.testing.assert_allclose(draws.mean(axis=0), codes.mean(axis=0), atol=0.01)


def test_draws_stay_on_the_line_or_point_the_codes_collapse_onto():
    rng = np.random.default_rng(0)
    along, direction = rng.normal(size=(5, 1)), rng.normal(size=(1, 3))
    codes = along @ direction  # on a line: a covariance of rank one
    assert np.linalg.eigvalsh(np.cov(codes.T)).min() < 0  # -3e-18, to be clipped
    draws = _stats.draw_near(codes, 1000, np.random.RandomState(0))
    unit = direction / np.linalg.norm(direction)
    np.testing.assert_allclose(draws - draws @ unit.T @ unit, 0, atol=1e-7)
    assert len(np.unique(draws[:, 0])) == 1000  # spread along it, not only the codes
    two = _stats.draw_near(
        np.array([[0.0, 0.0], [2.0, 2.0]]), 100, np.random.RandomState(1)
    )
    np.testing.assert_allclose(two[:, 0], two[:, 1], atol=1e-12)
    assert len(np.unique(two[:, 0])) == 100
    one_code = _stats.draw_near(np.array([[1.0, -3.0]]), 10, np.random.RandomState(2))
    np.testing.assert_array_equal(one_code, np.tile([1.0, -3.0], (10, 1)))
