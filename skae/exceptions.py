"""Exceptions that skae raises in its own words."""

__all__ = ["DivergenceError"]


class DivergenceError(FloatingPointError):
    """The training loss became NaN or infinite.

    Raised by ``fit`` and ``partial_fit`` as soon as a batch's loss is not
    finite; the estimator keeps the model it had before the call. The usual
    remedies are scaling the data (``StandardScaler``, or pixels to [0, 1])
    and a lower ``learning_rate``.
    """
