"""Figures of the reference tutorial, for any fitted transformer.

Every function returns a :class:`matplotlib.figure.Figure`; those that draw
in a single axes also take ``ax=`` to draw into an existing one. The image
functions work with PCA as well as with :class:`~skae.AutoencoderTransformer`
(pass ``image_shape`` for estimators that do not record one).
"""

import numpy as np

from ._images import center_code, display_shape, latent_size

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


def _show_image(ax, image, **kwargs):
    cmap = "gray" if image.ndim == 2 else None
    ax.imshow(np.clip(image, 0, 1), cmap=cmap, vmin=0, vmax=1, **kwargs)


def _mosaic(images, n_rows, n_cols, gap=1):
    """Tile ``n_rows * n_cols`` images (n, H, W[, C]) into one array.

    Tiles are ``gap`` white pixels apart, so that neighbours read as
    separate images. Tile ``(i, j)`` starts at row ``i * (H + gap)``.
    """
    height, width = images.shape[1:3]
    images = np.clip(images.reshape(n_rows, n_cols, height, width, -1), 0, 1)
    channels = images.shape[-1]
    grid = np.ones(
        (n_rows * (height + gap) - gap, n_cols * (width + gap) - gap, channels)
    )
    for i in range(n_rows):
        for j in range(n_cols):
            top, left = i * (height + gap), j * (width + gap)
            grid[top : top + height, left : left + width] = images[i, j]
    return grid[..., 0] if channels == 1 else grid


def plot_reconstructions(estimator, X, *, n_images=10, image_shape=None, title=None):
    """A row of original images over a row of their reconstructions.

    Parameters
    ----------
    estimator : fitted transformer with ``inverse_transform``
        An :class:`~skae.AutoencoderTransformer`, PCA, or a pipeline whose
        steps all invert: each image is shown beside
        ``inverse_transform(transform(image))``.
    X : array-like of shape (n_samples, n_features) or image stack
        Images, as flat rows or ``(n, H, W[, C])``; the first ``n_images``
        are shown. Pixel values are drawn clipped to [0, 1].
    n_images : int, default=10
        How many images: the figure has one column per image.
    image_shape : tuple, default=None
        ``(H, W)`` or ``(H, W, C)`` to draw the rows as images. By default
        the estimator's ``image_shape_``, else square grey images.
    title : str, default=None
        Figure title; by default names the estimator and the MSE of the
        images shown.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two rows of axes: the originals above their reconstructions.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import plot_reconstructions
    >>> X = load_digits().data / 16
    >>> ae = AutoencoderTransformer(z_dim=10, epochs=1, random_state=0).fit(X)
    >>> fig = plot_reconstructions(ae, X, n_images=5)
    >>> len(fig.axes)  # 5 originals over 5 reconstructions
    10

    PCA, or any transformer with ``inverse_transform``, draws the same way:

    >>> from sklearn.decomposition import PCA
    >>> fig = plot_reconstructions(PCA(10).fit(X), X, n_images=5)
    """
    import matplotlib.pyplot as plt

    X = np.asarray(X)[:n_images].reshape(min(n_images, len(X)), -1)
    reconstructed = estimator.inverse_transform(estimator.transform(X))
    shape = display_shape(estimator, image_shape, X.shape[1])
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
    estimator, X, y=None, *, n_samples=1000, random_state=0, ax=None, cmap="tab10"
):
    """Latent codes of ``n_samples`` images, coloured by label, with a colour bar.

    For codes of more than two dimensions, the scatter shows their first two
    principal components (the axis labels say so).

    Parameters
    ----------
    estimator : fitted transformer
        Anything with ``transform``: an :class:`~skae.AutoencoderTransformer`,
        PCA, a pipeline.
    X : array-like of shape (n_samples, n_features) or image stack
        The data whose codes are drawn.
    y : array-like of shape (n_samples,), default=None
        Labels, used for colour only. Numbers are coloured along ``cmap``;
        other labels (strings, a categorical) are classes, each in a colour
        of its own, named on the colour bar (up to 20 classes). ``None``
        draws every code in one colour, without a colour bar.
    n_samples : int, default=1000
        How many points, drawn at random from ``X``.
    random_state : int, default=0
        Which points are drawn.
    ax : matplotlib Axes, default=None
        Draw into this axes; by default a new figure.
    cmap : str, default="tab10"
        Matplotlib colour map of the labels.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the scatter and its colour bar.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import plot_latent_scatter
    >>> X, y = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(z_dim=2, epochs=1, random_state=0).fit(X / 16)
    >>> fig = plot_latent_scatter(ae, X / 16, y, n_samples=500)
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
    ('z1', 'z2')
    """
    X = np.asarray(X)
    colours, classes = _label_colours(y, len(X))
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
    if colours is None:
        ax.scatter(Z[:, 0], Z[:, 1], s=8, alpha=0.8)
    else:
        colour_map, limits = cmap, {}
        if classes is not None:  # each class a whole step of the colour bar
            colour_map = _class_colours(cmap, len(classes))
            limits = {"vmin": -0.5, "vmax": len(classes) - 0.5}
        points = ax.scatter(
            Z[:, 0], Z[:, 1], c=colours[rows], cmap=colour_map, s=8, alpha=0.8, **limits
        )
        bar = fig.colorbar(points, ax=ax, label="label")
        if classes is not None and len(classes) <= _MAX_NAMED_CLASSES:
            bar.set_ticks(range(len(classes)), labels=[str(c) for c in classes])
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(f"Latent space of {len(rows)} images ({type(estimator).__name__})")
    return fig


# More class names than this would overlap on the colour bar.
_MAX_NAMED_CLASSES = 20


def _label_colours(y, n_rows):
    """The colour values of labels ``y``, and their class names (None for numbers).

    Labels that are not numbers (strings, a pandas categorical) are classes:
    their values are the class indices, in the categorical's order or sorted.
    """
    if y is None:
        return None, None
    import pandas as pd

    if len(y) != n_rows:
        raise ValueError(
            f"y has {len(y)} labels for {n_rows} rows of X; give one per row"
        )
    values = np.asarray(y)
    if isinstance(getattr(y, "dtype", None), pd.CategoricalDtype) or not (
        np.issubdtype(values.dtype, np.number)
    ):
        classes = pd.Categorical(y)
        return np.asarray(classes.codes), list(classes.categories)
    return values, None


def _class_colours(cmap, n_classes):
    """A colour map of ``n_classes`` colours: a qualitative map's first ones."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    base = colormaps[cmap] if isinstance(cmap, str) else cmap
    if isinstance(base, ListedColormap) and base.N >= n_classes:
        return ListedColormap(base.colors[:n_classes])
    return base.resampled(n_classes)


def plot_latent_grid(
    estimator,
    X=None,
    *,
    n_steps=10,
    values=None,
    dims=(0, 1),
    image_shape=None,
    ax=None,
):
    """Images decoded from a regular grid of latent vectors.

    The two latent dimensions ``dims`` vary along the x and y axes; any
    other dimensions stay at the mean code of ``X`` (the title says so).

    Parameters
    ----------
    estimator : fitted transformer with ``inverse_transform``
        An :class:`~skae.AutoencoderTransformer` (a two-dimensional code
        draws the whole latent space), PCA, or a pipeline whose steps all
        invert.
    X : array-like, default=None
        Data whose codes set the grid: along each axis, ``n_steps`` round
        values spanning that dimension's own range of the codes (2nd to
        98th percentile). Without ``X``, an :class:`~skae.AutoencoderTransformer`
        uses the codes it kept from training (``training_codes_``).
    n_steps : int, default=10
        Values per axis.
    values : "tutorial", array-like or pair of array-likes, default=None
        Explicit grid values instead: ``"tutorial"`` for the reference
        tutorial's z in [-5, 5) in steps of 1 on both axes, one sequence for
        both axes, or ``(x_values, y_values)``.
    dims : tuple of two int, default=(0, 1)
        The latent dimensions varied along the x and y axes.
    image_shape : tuple, default=None
        ``(H, W)`` or ``(H, W, C)`` of the decoded images. By default the
        estimator's ``image_shape_``, else square grey images.
    ax : matplotlib Axes, default=None
        Draw into this axes; by default a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One image of the decoded tiles, labelled with their latent values.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import plot_latent_grid
    >>> X = load_digits().data / 16
    >>> ae = AutoencoderTransformer(z_dim=2, epochs=1, random_state=0).fit(X)
    >>> fig = plot_latent_grid(ae, X, n_steps=5)
    >>> fig.axes[0].get_images()[0].get_array().shape  # 5 x 5 tiles of 8x8, 1-pixel gaps
    (44, 44)
    >>> fig = plot_latent_grid(ae, values=[-1, 0, 1])  # the same values on both axes
    """
    codes = _grid_codes(estimator, X, values)
    center = center_code(estimator, X) if X is not None else _middle(estimator, codes)
    if len(center) < 2:
        raise ValueError("a latent grid needs codes of at least two dimensions")
    x_values, y_values = _grid_values(codes, values, dims, n_steps)
    # Rows of the picture run from high values at the top to low at the bottom.
    grid_y, grid_x = np.meshgrid(y_values[::-1], x_values, indexing="ij")
    grid = np.tile(np.asarray(center, dtype=np.float32), (grid_x.size, 1))
    grid[:, dims[0]], grid[:, dims[1]] = grid_x.ravel(), grid_y.ravel()
    decoded = np.asarray(estimator.inverse_transform(grid))
    shape = display_shape(estimator, image_shape, decoded.shape[1])
    mosaic = _mosaic(decoded.reshape(-1, *shape), len(y_values), len(x_values))

    fig, ax = _axes(ax, (7, 7))
    height, width = shape[:2]
    _show_image(ax, mosaic)
    ax.set_xticks(
        (width + 1) * np.arange(len(x_values)) + (width - 1) / 2,
        _tick_labels(x_values),
    )
    ax.set_yticks(
        (height + 1) * np.arange(len(y_values)) + (height - 1) / 2,
        _tick_labels(y_values[::-1]),
    )
    ax.set_xlabel(f"z{dims[0] + 1}")
    ax.set_ylabel(f"z{dims[1] + 1}")
    title = "Images decoded from a grid of latent vectors"
    if len(center) > 2:
        source = "X" if X is not None else "the training codes"
        others = len(center) - 2
        title += f"\n(the other {others} dimensions at their mean over {source})"
    ax.set_title(title)
    return fig


def _grid_codes(estimator, X, values):
    """The codes whose ranges set the grid: of ``X``, or kept from training."""
    if X is not None:
        return np.asarray(estimator.transform(X))
    codes = getattr(estimator, "training_codes_", None)
    if codes is None and values is None:
        raise ValueError(
            "pass X (or values=) to set the grid: this estimator keeps no "
            "training codes"
        )
    return codes


def _middle(estimator, codes):
    """Where the dimensions off the grid stay without X: the codes' mean, or 0."""
    if codes is not None:
        return codes.mean(axis=0)
    return np.zeros(latent_size(estimator) or 2)


def _grid_values(codes, values, dims, n_steps):
    """The x and y values of the grid."""
    if isinstance(values, str):
        if values != "tutorial":
            raise ValueError(f"values must be 'tutorial' or numbers, got {values!r}")
        return np.arange(-5.0, 5.0), np.arange(-5.0, 5.0)
    if values is None:
        return tuple(_round_steps(codes[:, d], n_steps) for d in dims)
    if len(values) == 2 and all(np.ndim(v) == 1 for v in values):
        return np.asarray(values[0], float), np.asarray(values[1], float)
    return np.asarray(values, float), np.asarray(values, float)


def _round_steps(code, n_steps):
    """``n_steps`` values a round step apart that span most of ``code``."""
    low, high = np.percentile(code, [2, 98])
    raw = max(high - low, 1e-12) / max(n_steps - 1, 1)
    magnitude = 10 ** np.floor(np.log10(raw))
    step = magnitude * min(m for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = np.round(((low + high) / 2 - step * (n_steps - 1) / 2) / step) * step
    return start + step * np.arange(n_steps)


def _tick_labels(values):
    """Labels without float noise: ``-4.44e-16`` reads ``0``, ``0.30000000000000004`` ``0.3``."""
    scale = np.max(np.abs(values)) if len(values) else 0
    return [
        "0" if abs(v) <= 1e-9 * scale else f"{float(f'{v:.6g}'):g}" for v in values
    ]


def plot_history(history, *, ax=None):
    """Training curves: loss (and validation loss) per epoch.

    Entries of the history that are not losses (the learning rate) are left
    out: they do not share the losses' axis.

    Parameters
    ----------
    history : fitted AutoencoderTransformer or dict
        An estimator with ``history_`` or the dict itself: lists of values
        per epoch, keyed by name.
    ax : matplotlib Axes, default=None
        Draw into this axes; by default a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One line per loss, on a log scale. The axis says what the loss is:
        a plain fit's is the mean squared error; a nested fit's weighs the
        errors of its prefixes, and a variational fit's adds the KL term.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import plot_history
    >>> X = load_digits().data / 16
    >>> ae = AutoencoderTransformer(z_dim=5, epochs=3, random_state=0).fit(X)
    >>> fig = plot_history(ae)
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['loss', 'val_loss']
    >>> [len(line.get_xdata()) for line in fig.axes[0].get_lines()]  # one point per epoch
    [3, 3]
    """
    from matplotlib.ticker import MaxNLocator

    ylabel = _loss_label(history)
    history = getattr(history, "history_", history)
    fig, ax = _axes(ax, (6, 4))
    for name, values in history.items():
        if not name.endswith("loss"):
            continue
        ax.plot(np.arange(1, len(values) + 1), values, marker=".", label=name)
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title("Training curves")
    ax.legend()
    return fig


def _loss_label(history):
    """What the losses of a fit's history are: a plain fit's are its MSE."""
    if not hasattr(history, "history_"):
        return "loss"
    if getattr(history, "_nested", False):
        return "loss: prefixes' MSE, weighted as in training"
    if getattr(history, "_variational", False):
        return "loss: MSE plus the weighted KL term"
    return "mean squared error"


def plot_error_vs_z(results, X=None, *, pca=None, ax=None):
    """Test reconstruction error against ``z_dim``, one line per method.

    Parameters
    ----------
    results : pandas.DataFrame, dict of columns, or fitted estimator
        A table with columns ``method``, ``z_dim`` and ``mse`` (as written
        by ``skae compare``); or a nested
        :class:`~skae.AutoencoderTransformer` (or PCA), whose error at
        every size from 1 to its ``z_dim_`` one fit gives
        (:func:`skae.metrics.reconstruction_error_curve`).
    X : array-like, default=None
        The data to measure the errors on, with a fitted ``results`` (held-out
        data, for a fair comparison).
    pca : fitted PCA, default=None
        With a fitted ``results``: PCA's curve too, for comparison.
    ax : matplotlib Axes, default=None
        Draw into this axes; by default a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One line per method, both axes on a log scale.

    Examples
    --------
    >>> from skae.plotting import plot_error_vs_z
    >>> fig = plot_error_vs_z({"method": ["PCA", "PCA", "AE", "AE"],
    ...                        "z_dim": [2, 10, 2, 10],
    ...                        "mse": [0.056, 0.034, 0.04, 0.012]})
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['PCA', 'AE']

    From one nested fit, beside PCA:

    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skae import AutoencoderTransformer
    >>> X = load_digits().data / 16
    >>> ae = AutoencoderTransformer(z_dim=8, nested=True, epochs=2, random_state=0)
    >>> fig = plot_error_vs_z(ae.fit(X), X, pca=PCA(8).fit(X))
    >>> [len(line.get_xdata()) for line in fig.axes[0].get_lines()]
    [8, 8]
    """
    import pandas as pd

    if hasattr(results, "inverse_transform"):  # a fitted model, not a table
        results = _error_curves(results, X, pca)
    results = pd.DataFrame(results)
    fig, ax = _axes(ax, (6, 4))
    for method, rows in results.groupby("method", sort=False):
        rows = rows.sort_values("z_dim")
        marker = "o" if len(rows) <= 10 else "."
        ax.plot(rows["z_dim"], rows["mse"], marker=marker, label=method)
    z_values = sorted(results["z_dim"].unique())
    if len(z_values) > 10:  # a curve: round ticks and the last, not one per size
        largest = z_values[-1]
        rounds = (1, 2, 5, 10, 20, 50, 100, 200, 500)
        z_values = [z for z in rounds if z < 0.8 * largest] + [largest]
    if len(z_values) > 1:  # one z_dim on a log axis would get a lone, odd tick
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(z_values, [str(z) for z in z_values])
    ax.set_xticks([], minor=True)
    ax.set_xlabel("z_dim (latent size)")
    ax.set_ylabel("test MSE per feature")
    ax.set_title("Reconstruction error against latent size")
    ax.legend()
    return fig


def _error_curves(estimator, X, pca):
    """Rows of (method, z_dim, mse) at every size, from fitted models."""
    from .metrics import reconstruction_error_curve

    if X is None:
        raise ValueError("pass X, the data to measure a fitted model's errors on")
    rows = []
    named = {"autoencoder": estimator} if pca is None else {"PCA": pca, "autoencoder": estimator}
    for method, model in named.items():
        curve = reconstruction_error_curve(model, X)
        rows += [{"method": method, "z_dim": k, "mse": e} for k, e in enumerate(curve, 1)]
    return rows
