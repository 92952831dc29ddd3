"""scikit-learn's estimator checks: our conformance suite."""

from unittest import SkipTest

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoencoderTransformer

# Run under every Keras backend (see .ci/run).
pytestmark = pytest.mark.core

# Small and short, so that the ~47 checks, each fitting a few models, stay fast.
FAST = {"z_dim": 2, "epochs": 2, "batch_size": 16, "random_state": 0}


@parametrize_with_checks([AutoencoderTransformer(**FAST)])
def test_sklearn_compatible_estimator(estimator, check):
    # Every check runs: a skipped one (as check_array_api_input is without
    # SCIPY_ARRAY_API=1, which conftest.py sets) fails here instead.
    try:
        check(estimator)
    except SkipTest as exc:
        pytest.fail(f"the check was skipped: {exc}")
