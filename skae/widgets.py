"""Interactive exploration of a latent space in a Jupyter notebook."""

import io

import numpy as np

__all__ = ["LatentExplorer", "explore_latent"]


class LatentExplorer:
    """Sliders for latent dimensions and the image decoded from them, live.

    Build it with :func:`explore_latent`. ``widget`` is the ipywidgets box
    to display; ``sliders`` and ``update`` are there for code (and tests)
    that drive it without a browser.

    Attributes
    ----------
    sliders : list of ipywidgets.FloatSlider
        One per varied latent dimension, labelled z1, z2, ...
    image : ipywidgets.Image
        The decoded image, as PNG.
    widget : ipywidgets.VBox
        Sliders above the image.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from skae.widgets import explore_latent
    >>> pca = PCA(2).fit(np.random.RandomState(0).rand(30, 16))
    >>> explorer = explore_latent(pca, scale=1)
    >>> explorer.sliders[1].value = -2.0  # what dragging z2 does
    >>> explorer.decode().shape
    (4, 4)
    >>> bytes(explorer.image.value[:4])
    b'\x89PNG'
    """

    def __init__(self, estimator, *, dims, ranges, steps, center, image_shape, scale):
        import ipywidgets as widgets

        from ._images import display_shape

        self.estimator = estimator
        self.dims = list(dims)
        self.center = np.asarray(center, dtype=np.float32)
        n_features = np.asarray(estimator.inverse_transform(self.center[None])).shape[1]
        self.image_shape = display_shape(estimator, image_shape, n_features)
        self.scale = scale
        self.sliders = [
            widgets.FloatSlider(
                value=float(self.center[d]),
                min=low,
                max=high,
                step=step,
                description=f"z{d + 1}",
                continuous_update=True,
            )
            for d, (low, high), step in zip(self.dims, ranges, steps)
        ]
        self.image = widgets.Image(format="png")
        for slider in self.sliders:
            slider.observe(self.update, names="value")
        self.widget = widgets.VBox([widgets.HBox(self.sliders), self.image])
        self.update()

    def code(self):
        """The latent vector the sliders currently describe."""
        z = self.center.copy()
        z[self.dims] = [slider.value for slider in self.sliders]
        return z

    def decode(self):
        """The image decoded from :meth:`code`, shaped like the training images."""
        row = np.asarray(self.estimator.inverse_transform(self.code()[None]))[0]
        return row.reshape(self.image_shape)

    def update(self, change=None):
        """Redraw the image; the sliders call this on every move."""
        import matplotlib.image

        pixels = np.clip(self.decode(), 0, 1)
        # Nearest-neighbour enlargement keeps a 28x28 digit crisp on screen.
        pixels = pixels.repeat(self.scale, axis=0).repeat(self.scale, axis=1)
        buffer = io.BytesIO()
        cmap = "gray" if pixels.ndim == 2 else None
        matplotlib.image.imsave(buffer, pixels, cmap=cmap, vmin=0, vmax=1, format="png")
        self.image.value = buffer.getvalue()

    def _repr_mimebundle_(self, **kwargs):
        # The live widget for Jupyter, and the image it shows now as a PNG
        # for viewers that cannot run widgets (a notebook on a code host).
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["image/png"] = bytes(self.image.value)
        bundle["text/plain"] = (
            f"LatentExplorer: sliders {', '.join(s.description for s in self.sliders)} "
            "decoding live (run the notebook to move them)"
        )
        return bundle


def explore_latent(
    estimator,
    *,
    dims=(0, 1),
    value_range=None,
    step=None,
    X=None,
    image_shape=None,
    scale=8,
):
    """Sliders (z1, z2, ...) that decode an image live, for a notebook.

    Parameters
    ----------
    estimator : fitted transformer with ``inverse_transform``
        Typically a 2-D :class:`~skae.AutoencoderTransformer`; PCA works
        too.
    dims : sequence of int, default=(0, 1)
        Latent dimensions that get a slider.
    value_range : (float, float), default=None
        Range of every slider. By default each slider spans its dimension's
        range of the codes of ``X`` (or of an
        :class:`~skae.AutoencoderTransformer`'s ``training_codes_``), else
        the tutorial's (-5, 5).
    step : float, default=None
        Slider step; by default a hundredth of each slider's range.
    X : array-like, default=None
        Data whose codes set the range, and whose mean code sets the
        starting point and the dimensions without a slider (zero without
        ``X``).
    image_shape : tuple, default=None
        Needed when the estimator records no image shape and images are not
        square.
    scale : int, default=8
        Screen pixels per image pixel.

    Returns
    -------
    explorer : LatentExplorer
        Displays itself in a notebook; ``explorer.widget`` is the widget.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.widgets import explore_latent
    >>> X = load_digits().data / 16
    >>> ae = AutoencoderTransformer(z_dim=2, epochs=1, random_state=0).fit(X)
    >>> explorer = explore_latent(ae, value_range=(-5, 5))
    >>> [slider.description for slider in explorer.sliders]
    ['z1', 'z2']
    >>> explorer.sliders[0].value = 1.5  # what dragging z1 does
    >>> explorer.code()
    array([1.5, 0. ], dtype=float32)
    >>> explorer.decode().shape  # the image shown, 8x8 like the digits
    (8, 8)

    In a notebook, ``explorer`` as the last line of a cell shows the
    sliders and the image.
    """
    from ._images import center_code

    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        raise ImportError(
            "explore_latent needs ipywidgets: pip install \"skae[widgets]\" "
            "(or pip install ipywidgets), then restart the notebook's kernel"
        ) from None
    if value_range is None:
        ranges = _code_ranges(estimator, X, dims)
    else:
        ranges = [tuple(float(v) for v in value_range)] * len(dims)
    return LatentExplorer(
        estimator,
        dims=dims,
        ranges=ranges,
        steps=[step or (high - low) / 100 for low, high in ranges],
        center=center_code(estimator, X),
        image_shape=image_shape,
        scale=scale,
    )


def _code_ranges(estimator, X, dims):
    """Each dimension's range of the codes of ``X`` (or of the training codes)."""
    codes = (
        estimator.transform(X)
        if X is not None
        else getattr(estimator, "training_codes_", None)
    )
    if codes is None:
        return [(-5.0, 5.0)] * len(dims)  # the tutorial's
    codes = np.asarray(codes)
    return [(float(codes[:, d].min()), float(codes[:, d].max())) for d in dims]
