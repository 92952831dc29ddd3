import numpy as np
import pytest
from sklearn.decomposition import PCA, KernelPCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer, StandardScaler

from skae import AutoencoderTransformer, metrics
from skae.metrics import (
    reconstruction_error,
    reconstruction_error_curve,
    reconstruction_scorer,
)


@pytest.fixture(scope="module")
def X():
    rng = np.random.RandomState(0)
    return rng.normal(size=(120, 3)) @ rng.normal(size=(3, 8)) + 0.1 * rng.normal(
        size=(120, 8)
    )


def test_pca_error_equals_discarded_variance(X):
    # PCA's error per feature is the variance of the dropped components.
    dropped = PCA().fit(X).explained_variance_[2:].sum()
    expected = dropped * (len(X) - 1) / len(X) / X.shape[1]
    assert reconstruction_error(PCA(2).fit(X), X) == pytest.approx(expected, rel=1e-10)


def test_per_sample_errors_average_to_the_error(X):
    pca = PCA(1).fit(X)
    per_sample = reconstruction_error(pca, X, per_sample=True)
    assert per_sample.shape == (120,)
    assert per_sample.mean() == pytest.approx(reconstruction_error(pca, X))


def test_kernel_pca_and_pipelines_are_scored(X):
    kpca = KernelPCA(3, kernel="rbf", fit_inverse_transform=True).fit(X)
    assert reconstruction_error(kpca, X) > 0
    pipe = make_pipeline(StandardScaler(), PCA(8)).fit(X)
    assert reconstruction_error(pipe, X) == pytest.approx(0, abs=1e-20)


def test_transformer_without_inverse_is_refused(X):
    with pytest.raises(TypeError, match="inverse_transform; Normalizer lacks one"):
        reconstruction_error(Normalizer().fit(X), X)


def test_scorer_compares_pca_and_autoencoder_in_one_search(X):
    X = StandardScaler().fit_transform(X)
    search = GridSearchCV(
        AutoencoderTransformer(epochs=5, random_state=0),
        {"z_dim": [1, 3]},
        scoring=reconstruction_scorer,
        cv=2,
    ).fit(X)
    default = GridSearchCV(
        AutoencoderTransformer(epochs=5, random_state=0), {"z_dim": [1, 3]}, cv=2
    ).fit(X)
    # the scorer and the estimator's own score are the same number
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"],
        default.cv_results_["mean_test_score"],
        rtol=1e-5,
    )
    assert reconstruction_scorer(PCA(3).fit(X), X) == pytest.approx(
        -reconstruction_error(PCA(3).fit(X), X)
    )


def test_the_scorer_is_minus_the_error(X):
    pca = PCA(2).fit(X)
    assert reconstruction_scorer(pca, X) == -reconstruction_error(pca, X) < 0


def test_the_error_curve_of_pca_is_the_error_of_pca_k_for_every_k(X, monkeypatch):
    monkeypatch.setattr(metrics, "_CURVE_ROWS", 50)  # 120 rows: 3 chunks, one short
    curve = reconstruction_error_curve(PCA(4).fit(X), X)
    expected = [reconstruction_error(PCA(k).fit(X), X) for k in range(1, 5)]
    np.testing.assert_allclose(curve, expected, rtol=1e-8)


def test_the_error_curve_of_a_model_that_decodes_the_first_k_codes(X, monkeypatch):
    W = np.linalg.qr(np.random.default_rng(0).normal(size=(8, 8)))[0].T

    class Prefix:
        """Codes along the rows of W; the first k of them decode alone."""

        def transform(self, X):
            return np.asarray(X) @ W.T

        def inverse_transform(self, Z):
            return Z @ W[: Z.shape[1]]

    monkeypatch.setattr(metrics, "_CURVE_ROWS", 50)
    curve = reconstruction_error_curve(Prefix(), X.tolist())  # rows without a shape
    expected = [np.mean((X - X @ W[:k].T @ W[:k]) ** 2) for k in range(1, 9)]
    np.testing.assert_allclose(curve, expected, rtol=1e-8, atol=1e-20)
