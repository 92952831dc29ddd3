"""scikit-learn's estimator checks: our conformance suite."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoencoderTransformer

# Small and short, so that the ~40 checks, each fitting a few models, stay fast.
FAST = {"z_dim": 2, "epochs": 3, "batch_size": 16, "random_state": 0}


@parametrize_with_checks([AutoencoderTransformer(**FAST)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
