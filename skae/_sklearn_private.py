"""The parts of scikit-learn's private API that skae uses, in one place.

scikit-learn's own estimators validate parameters and feature names with
these; they are not public, so a scikit-learn release may move them. Every
skae module imports them from here, so such a move breaks this file alone.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, _get_feature_names

__all__ = [
    "Interval",
    "StrOptions",
    "_check_feature_names_in",
    "_fit_context",
    "_get_feature_names",
]
