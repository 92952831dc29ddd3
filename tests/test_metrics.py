import numpy as np
import pytest
from sklearn.decomposition import PCA, KernelPCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer, StandardScaler

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error, reconstruction_scorer


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
    with pytest.raises(TypeError, match="inverse_transform"):
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
