"""Reconstruction error of any fitted transformer with ``inverse_transform``.

The same functions score PCA, KernelPCA (``fit_inverse_transform=True``), a
:class:`~sklearn.pipeline.Pipeline` whose steps all invert, and
:class:`~skae.AutoencoderTransformer`, so one call compares them.
"""

from ._stats import per_sample_squared_error

__all__ = ["reconstruction_error", "reconstruction_scorer"]


def reconstruction_error(estimator, X, *, per_sample=False):
    """Mean squared error of ``inverse_transform(transform(X))`` against ``X``.

    Parameters
    ----------
    estimator : fitted transformer
        Anything with ``transform`` and ``inverse_transform``.
    X : array-like of shape (n_samples, n_features) or image stack
        Data in the space the estimator was fitted on. Image stacks
        ``(n, H, W[, C])`` are compared as flat rows.
    per_sample : bool, default=False
        Return one error per sample instead of their mean.

    Returns
    -------
    error : float or ndarray of shape (n_samples,)
        Mean squared error per feature (pixel).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from skae.metrics import reconstruction_error
    >>> X = np.random.RandomState(0).rand(50, 4)
    >>> round(reconstruction_error(PCA(4).fit(X), X), 10)
    0.0
    >>> reconstruction_error(PCA(1).fit(X), X, per_sample=True).shape
    (50,)
    """
    if not (
        hasattr(estimator, "transform") and hasattr(estimator, "inverse_transform")
    ):
        raise TypeError(
            "reconstruction_error needs a transformer with transform and "
            f"inverse_transform; {type(estimator).__name__} lacks one of them"
        )
    X_reconstructed = estimator.inverse_transform(estimator.transform(X))
    errors = per_sample_squared_error(X, X_reconstructed)
    return errors if per_sample else float(errors.mean())


def reconstruction_scorer(estimator, X, y=None):
    """Scorer for ``GridSearchCV(scoring=...)``: minus the reconstruction error.

    Greater is better, as scikit-learn's scorers expect. ``y`` is ignored.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skae.metrics import reconstruction_scorer
    >>> X = np.random.RandomState(0).rand(60, 5)
    >>> search = GridSearchCV(PCA(), {"n_components": [1, 4]},
    ...                       scoring=reconstruction_scorer, cv=3).fit(X)
    >>> search.best_params_
    {'n_components': 4}
    """
    return -reconstruction_error(estimator, X)
