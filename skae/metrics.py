"""Reconstruction error of any fitted transformer with ``inverse_transform``.

The same functions score PCA, KernelPCA (``fit_inverse_transform=True``), a
:class:`~sklearn.pipeline.Pipeline` whose steps all invert, and
:class:`~skae.AutoencoderTransformer`, so one call compares them.
"""

import numpy as np

from ._stats import per_sample_squared_error

__all__ = [
    "reconstruction_error",
    "reconstruction_error_curve",
    "reconstruction_scorer",
]


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

    Greater is better, as scikit-learn's scorers expect. It scores PCA (whose
    own ``score`` is a log-likelihood) and the autoencoder (whose ``score``
    is this already) on the same terms.

    Parameters
    ----------
    estimator : fitted transformer
        Anything with ``transform`` and ``inverse_transform``.
    X : array-like of shape (n_samples, n_features) or image stack
        The held-out data of a split.
    y : None
        Ignored; scorers take it.

    Returns
    -------
    score : float
        Minus :func:`reconstruction_error` of ``estimator`` on ``X``.

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


def reconstruction_error_curve(estimator, X):
    """The reconstruction error of the first k codes, for every k, from one fit.

    PCA's first k components are PCA(k), and a nested
    :class:`~skae.AutoencoderTransformer` (``nested=True`` or a float
    ``z_dim``) decodes its first k codes as a code of size k: for these, one
    fitted model gives the whole curve of error against latent size.

    Parameters
    ----------
    estimator : fitted PCA or nested AutoencoderTransformer
        PCA (or a transformer like it, with ``components_``: its codes after
        the k-th are set to zero before ``inverse_transform``), or an
        estimator whose ``inverse_transform`` takes the first k codes.
    X : array-like of shape (n_samples, n_features) or image stack
        Data in the space the estimator was fitted on.

    Returns
    -------
    errors : ndarray of shape (n_codes,)
        ``errors[k - 1]`` is the mean squared error per feature of the
        first k codes' reconstruction.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from skae.metrics import reconstruction_error, reconstruction_error_curve
    >>> X = np.random.RandomState(0).rand(50, 6)
    >>> curve = reconstruction_error_curve(PCA(4).fit(X), X)
    >>> bool(np.isclose(curve[1], reconstruction_error(PCA(2).fit(X), X)))
    True
    """
    totals, n = None, 0
    for first in range(0, _n_samples(X), _CURVE_ROWS):
        part = X[first : first + _CURVE_ROWS]
        Z = np.asarray(estimator.transform(part))
        if totals is None:
            totals = np.zeros(Z.shape[1])
        for k in range(1, Z.shape[1] + 1):
            if hasattr(estimator, "components_"):
                prefix = np.zeros_like(Z)
                prefix[:, :k] = Z[:, :k]
            else:
                prefix = Z[:, :k]
            X_back = estimator.inverse_transform(prefix)
            totals[k - 1] += per_sample_squared_error(part, X_back).sum()
        n += len(Z)
    return totals / n


# Rows decoded at once by reconstruction_error_curve: its memory stays that
# of a few copies of these, whatever the size of X.
_CURVE_ROWS = 8192


def _n_samples(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)
