"""NumPy-only statistics shared by the estimator and the metrics."""

from dataclasses import dataclass

import numpy as np

# Rows processed at a time when a pass over the data must not copy it whole.
_CHUNK_ROWS = 4096


def per_sample_squared_error(X, X_reconstructed):
    """Mean over features of the squared error, one value per sample."""
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    X_reconstructed = np.asarray(X_reconstructed, dtype=np.float64)
    return np.mean((X - X_reconstructed.reshape(len(X), -1)) ** 2, axis=1)


@dataclass(frozen=True)
class Axes:
    """PCA of standardised data: where a model that starts at PCA starts."""

    mean: np.ndarray  # one value per feature
    scale: float  # one overall scale: the root of the mean variance per feature
    components: np.ndarray  # (k, n_features) orthonormal rows, largest first
    explained_variance_ratio: np.ndarray  # (k,) share of the variance along each


def principal_axes(X, rows, n_components, *, max_covariance_features, seed):
    """The :class:`Axes` of ``X[rows]``, computed without copying it.

    ``scale`` is 1 for constant data. ``n_components`` is a number of axes,
    or a share in (0, 1) of the variance that the axes must explain (as in
    ``PCA(n_components=0.9)``); the axes are PCA's of the standardised data,
    largest variance first, each signed so that its largest entry is
    positive. Rows beyond the data's rank are zero.

    With up to ``max_covariance_features`` features the axes are the
    eigenvectors of the covariance matrix, accumulated chunk by chunk;
    beyond, a PCA of at most 5,000 rows finds them.
    """
    n, n_features = len(rows), int(np.prod(X.shape[1:]))

    def chunks():
        for first in range(0, n, _CHUNK_ROWS):
            part = X[rows[first : first + _CHUNK_ROWS]]
            yield np.asarray(part, dtype=np.float64).reshape(len(part), n_features)

    mean = sum(part.sum(axis=0) for part in chunks()) / n
    total_variance = sum(((part - mean) ** 2).sum() for part in chunks()) / n
    scale = float(np.sqrt(total_variance / n_features))
    if not scale > 0:
        scale = 1.0  # constant data: nothing to standardise
    if n_components == 0:
        return Axes(mean, scale, np.zeros((0, n_features)), np.zeros(0))
    if n_features <= max_covariance_features:
        covariance = np.zeros((n_features, n_features))
        for part in chunks():
            # float64: float32 sums leave noise eigenvalues (1e-8 of the
            # largest) that would pass for directions beyond the data's rank
            centred = (part - mean) / scale
            covariance += centred.T @ centred
        variances, axes = np.linalg.eigh(covariance / n)
        order = np.argsort(variances)[::-1]
        variances, axes = variances[order], axes[:, order].T
        shares = variances / max(variances.sum(), 1e-300)
    else:
        from sklearn.decomposition import PCA

        picked = np.random.default_rng(seed).permutation(rows)[:5000]
        sample = np.asarray(X[np.sort(picked)], dtype=np.float64)
        sample = (sample.reshape(len(sample), n_features) - mean) / scale
        if n_components < 1:  # a share: PCA finds the number of axes
            pca = PCA(n_components, svd_solver="full").fit(sample)
        else:
            k = min(n_components, *sample.shape)
            pca = PCA(k, svd_solver="randomized", random_state=seed).fit(sample)
        variances, axes = pca.explained_variance_, pca.components_
        shares = pca.explained_variance_ratio_
    if n_components < 1:
        n_components = int(np.searchsorted(np.cumsum(shares), n_components, "right") + 1)
        n_components = min(n_components, len(shares))
    # Only directions the data vary along; the rest of the code starts at 0.
    kept = min(n_components, int(np.sum(variances > 1e-10 * max(variances[0], 1e-300))))
    axes = axes[:kept]
    signs = np.sign(axes[np.arange(kept), np.argmax(np.abs(axes), axis=1)])
    components = np.zeros((n_components, n_features))
    components[:kept] = axes * signs[:, None]
    explained = np.zeros(n_components)
    explained[:kept] = shares[:kept]
    return Axes(mean, scale, components, explained)


def pca_errors(axes, flat, sizes=None):
    """Each row's squared error, summed over features, of PCA(k) of ``axes``
    for each k of ``sizes``, ascending (default: every k from 1 to
    ``len(axes.components)``): a list of arrays of ``len(flat)``.

    PCA(k) reconstructs a row as ``mean + scale * (u @ C[:k].T @ C[:k])``, with
    ``u`` the row standardised and ``C`` the axes' components: as a model
    that starts at PCA decodes its first k codes before training.
    """
    sizes = range(1, len(axes.components) + 1) if sizes is None else sizes
    standardised = (np.asarray(flat, dtype=np.float64) - axes.mean) / axes.scale
    projections = standardised @ axes.components.T
    errors, residual, done = [], standardised, 0
    for k in sizes:  # each residual: the one before, less the next components
        residual = residual - projections[:, done:k] @ axes.components[done:k]
        errors.append(np.sum(residual**2, axis=1) * axes.scale**2)
        done = k
    return errors


def pca_mean_squared_error(axes, X, rows, chunk=4096):
    """The mean squared error, per feature, of PCA with all of ``axes``'
    components on the rows ``rows`` of ``X``.

    A chunk of rows at a time: a float64 copy of a large validation split
    (and the residuals beside it) would outweigh a uint8 memory map of all
    the data.
    """
    total, n_values = 0.0, 0
    for start in range(0, len(rows), chunk):
        part = np.asarray(X[rows[start : start + chunk]], dtype=np.float64)
        flat = part.reshape(len(part), -1)
        (errors,) = pca_errors(axes, flat, sizes=[len(axes.components)])
        total += float(np.sum(errors))
        n_values += flat.size
    return total / n_values


def draw_near(codes, n_samples, rng):
    """Draw from a Gaussian kernel density around ``codes`` (Scott's bandwidth).

    Each draw is a stored code plus Gaussian noise shaped like the codes'
    covariance, scaled by ``n ** (-1 / (d + 4))``. A symmetric square root
    of the covariance (negative eigenvalues clipped) makes it work for codes
    that collapse onto a line or a point as well.
    """
    n, d = codes.shape
    bandwidth = n ** (-1.0 / (d + 4))
    covariance = np.atleast_2d(np.cov(codes, rowvar=False)) if n > 1 else np.zeros((d, d))
    variances, axes = np.linalg.eigh(covariance)
    root = axes * np.sqrt(np.clip(variances, 0, None))
    picked = codes[rng.randint(n, size=n_samples)]
    noise = rng.standard_normal((n_samples, d)) @ root.T
    return picked + bandwidth * noise
