"""Figures of the reference tutorial, for any fitted transformer.

Every function returns a :class:`matplotlib.figure.Figure`; those that draw
in a single axes also take ``ax=`` to draw into an existing one. The image
functions work with PCA as well as with :class:`~skae.AutoencoderTransformer`
(pass ``image_shape`` for estimators that do not record one).
"""

import math

import numpy as np

__all__ = [
    "plot_error_vs_z",
    "plot_history",
    "plot_latent_grid",
    "plot_latent_scatter",
    "plot_reconstructions",
]


def _axes(ax, figsize):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def _image_shape(estimator, image_shape, n_features):
    """(H, W) or (H, W, C) to display rows of ``n_features`` values as images."""
    if image_shape is None:
        image_shape = getattr(estimator, "image_shape_", None)
    if image_shape is None:
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"cannot show rows of {n_features} features as images: pass "
                "image_shape=(height, width[, channels])"
            )
        image_shape = (side, side)
    image_shape = tuple(image_shape)
    if len(image_shape) == 3 and image_shape[2] == 1:
        image_shape = image_shape[:2]
    return image_shape


def _show_image(ax, image, **kwargs):
    cmap = "gray" if image.ndim == 2 else None
    ax.imshow(np.clip(image, 0, 1), cmap=cmap, vmin=0, vmax=1, **kwargs)


def _mosaic(images, n_rows, n_cols):
    """Tile ``n_rows * n_cols`` images (n, H, W[, C]) into one array."""
    height, width = images.shape[1:3]
    grid = images.reshape(n_rows, n_cols, height, width, -1).swapaxes(1, 2)
    grid = grid.reshape(n_rows * height, n_cols * width, -1)
    return grid[..., 0] if grid.shape[-1] == 1 else grid


def plot_reconstructions(estimator, X, *, n_images=10, image_shape=None, title=None):
    """A row of original images over a row of their reconstructions.

    Parameters
    ----------
    estimator : fitted transformer with ``inverse_transform``
    X : array-like of shape (n_samples, n_features)
        The first ``n_images`` rows are shown.
    n_images : int, default=10
    image_shape : tuple, default=None
        Needed when the estimator records no ``image_shape_`` and the images
        are not square.
    title : str, default=None
        Figure title; by default names the estimator and the test MSE of the
        images shown.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from skae.plotting import plot_reconstructions
    >>> X = np.random.RandomState(0).rand(20, 16)
    >>> fig = plot_reconstructions(PCA(4).fit(X), X, n_images=5)
    >>> len(fig.axes)
    10
    """
    import matplotlib.pyplot as plt

    X = np.asarray(X)[:n_images].reshape(min(n_images, len(X)), -1)
    reconstructed = estimator.inverse_transform(estimator.transform(X))
    shape = _image_shape(estimator, image_shape, X.shape[1])
    n = len(X)
    fig, axes = plt.subplots(
        2, n, figsize=(1.2 * n, 2.9), squeeze=False, layout="constrained"
    )
    for i in range(n):
        _show_image(axes[0, i], X[i].reshape(shape))
        _show_image(axes[1, i], np.asarray(reconstructed[i]).reshape(shape))
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("original")
    axes[1, 0].set_ylabel("reconstructed")
    if title is None:
        mse = np.mean((X - np.asarray(reconstructed).reshape(n, -1)) ** 2)
        title = f"{type(estimator).__name__}: MSE {mse:.4f} on these images"
    fig.suptitle(title)
    return fig


def plot_latent_scatter(
    estimator, X, y, *, n_samples=1000, random_state=0, ax=None, cmap="tab10"
):
    """Latent codes of ``n_samples`` images, coloured by label, with a colour bar.

    For codes of more than two dimensions, the scatter shows their first two
    principal components (the axis labels say so).

    Parameters
    ----------
    estimator : fitted transformer
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Labels, used for colour only.
    n_samples : int, default=1000
        How many points, drawn at random from ``X``.
    random_state : int, default=0
        Which points are drawn.
    ax : matplotlib Axes, default=None
    cmap : str, default="tab10"

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from skae.plotting import plot_latent_scatter
    >>> X = np.random.RandomState(0).rand(50, 8)
    >>> fig = plot_latent_scatter(PCA(2).fit(X), X, np.arange(50) % 3)
    >>> fig.axes[0].get_xlabel()
    'z1'
    """
    X, y = np.asarray(X), np.asarray(y)
    rng = np.random.default_rng(random_state)
    rows = rng.choice(len(X), size=min(n_samples, len(X)), replace=False)
    Z = np.asarray(estimator.transform(X[rows]))
    labels = ("z1", "z2")
    if Z.shape[1] > 2:
        from sklearn.decomposition import PCA

        Z = PCA(2).fit_transform(Z)
        labels = ("PC1 of the codes", "PC2 of the codes")
    elif Z.shape[1] == 1:
        Z = np.column_stack([Z[:, 0], rng.uniform(-0.5, 0.5, len(Z))])
        labels = ("z1", "jitter")
    fig, ax = _axes(ax, (6, 5))
    points = ax.scatter(Z[:, 0], Z[:, 1], c=y[rows], cmap=cmap, s=8, alpha=0.8)
    fig.colorbar(points, ax=ax, label="label")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(f"Latent space of {len(rows)} images ({type(estimator).__name__})")
    return fig


def plot_latent_grid(
    estimator,
    *,
    start=-5.0,
    stop=5.0,
    step=1.0,
    dims=(0, 1),
    X=None,
    image_shape=None,
    ax=None,
):
    """Images decoded from a regular grid of latent vectors.

    The two latent dimensions ``dims`` take the values
    ``np.arange(start, stop, step)`` (so the defaults give the tutorial's
    10x10 grid over [-5, 5)); the other dimensions stay at the mean code of
    ``X`` (zero without ``X``).

    Parameters
    ----------
    estimator : fitted transformer with ``inverse_transform``
    start, stop, step : float
        Grid values, as for :func:`numpy.arange`.
    dims : tuple of two int, default=(0, 1)
        The latent dimensions varied along the x and y axes.
    X : array-like, default=None
        Data whose mean code fixes the other dimensions.
    image_shape : tuple, default=None
    ax : matplotlib Axes, default=None

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from skae.plotting import plot_latent_grid
    >>> X = np.random.RandomState(0).rand(50, 16)
    >>> fig = plot_latent_grid(PCA(2).fit(X), start=-1, stop=1, step=0.5)
    >>> fig.axes[0].get_images()[0].get_array().shape
    (16, 16)
    """
    values = np.arange(start, stop, step)
    center = _center_code(estimator, X)
    if len(center) < 2:
        raise ValueError("a latent grid needs codes of at least two dimensions")
    # Rows of the picture run from high z2 at the top to low z2 at the bottom.
    z2, z1 = np.meshgrid(values[::-1], values, indexing="ij")
    codes = np.tile(center, (z1.size, 1))
    codes[:, dims[0]], codes[:, dims[1]] = z1.ravel(), z2.ravel()
    decoded = np.asarray(estimator.inverse_transform(codes))
    shape = _image_shape(estimator, image_shape, decoded.shape[1])
    mosaic = _mosaic(decoded.reshape(-1, *shape), len(values), len(values))

    fig, ax = _axes(ax, (7, 7))
    height, width = shape[:2]
    _show_image(ax, mosaic)
    ax.set_xticks(width * (np.arange(len(values)) + 0.5), [f"{v:.3g}" for v in values])
    ax.set_yticks(
        height * (np.arange(len(values)) + 0.5), [f"{v:.3g}" for v in values[::-1]]
    )
    ax.set_xlabel(f"z{dims[0] + 1}")
    ax.set_ylabel(f"z{dims[1] + 1}")
    ax.set_title("Images decoded from a grid of latent vectors")
    return fig


def _center_code(estimator, X=None):
    """The mean code of ``X``, or the zero code of the estimator's latent size."""
    if X is not None:
        return np.asarray(estimator.transform(X)).mean(axis=0)
    for size in ("z_dim", "n_components_"):  # ours, PCA and the like
        if hasattr(estimator, size):
            return np.zeros(int(getattr(estimator, size)))
    raise ValueError("pass X so that its mean code fixes the latent size")


def plot_history(history, *, ax=None):
    """Training curves: loss (and validation loss) per epoch.

    Entries of the history that are not losses (the learning rate) are left
    out: they do not share the losses' axis.

    Parameters
    ----------
    history : fitted AutoencoderTransformer or dict
        An estimator with ``history_`` or the dict itself.
    ax : matplotlib Axes, default=None

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> from skae.plotting import plot_history
    >>> fig = plot_history(
    ...     {"loss": [0.1, 0.05], "val_loss": [0.12, 0.07], "learning_rate": [1, 0]}
    ... )
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['loss', 'val_loss']
    """
    history = getattr(history, "history_", history)
    fig, ax = _axes(ax, (6, 4))
    for name, values in history.items():
        if not name.endswith("loss"):
            continue
        ax.plot(np.arange(1, len(values) + 1), values, marker=".", label=name)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean squared error")
    ax.set_title("Training curves")
    ax.legend()
    return fig


def plot_error_vs_z(results, *, ax=None):
    """Test reconstruction error against ``z_dim``, one line per method.

    Parameters
    ----------
    results : pandas.DataFrame or dict of columns
        With columns ``method``, ``z_dim`` and ``mse`` (as written by
        ``skae compare``).
    ax : matplotlib Axes, default=None

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> from skae.plotting import plot_error_vs_z
    >>> fig = plot_error_vs_z({"method": ["PCA", "PCA", "AE", "AE"],
    ...                        "z_dim": [2, 10, 2, 10],
    ...                        "mse": [0.056, 0.034, 0.04, 0.012]})
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['PCA', 'AE']
    """
    import pandas as pd

    results = pd.DataFrame(results)
    fig, ax = _axes(ax, (6, 4))
    for method, rows in results.groupby("method", sort=False):
        rows = rows.sort_values("z_dim")
        ax.plot(rows["z_dim"], rows["mse"], marker="o", label=method)
    ax.set_xscale("log")
    ax.set_yscale("log")
    z_values = sorted(results["z_dim"].unique())
    ax.set_xticks(z_values, [str(z) for z in z_values])
    ax.set_xticks([], minor=True)
    ax.set_xlabel("z_dim (latent size)")
    ax.set_ylabel("test MSE per feature")
    ax.set_title("Reconstruction error against latent size")
    ax.legend()
    return fig
