"""Keras encoder and decoder builders.

Every builder takes ``(input_shape, z_dim)`` and returns ``(encoder, decoder)``,
two functional :class:`keras.Model` objects: the encoder maps a batch shaped
``(n, *input_shape)`` to ``(n, z_dim)`` codes and the decoder maps codes back.
That is also the contract of a callable passed as
``AutoencoderTransformer(architecture=...)``, so a builder here with its
keyword options bound by :func:`functools.partial` is a valid custom
architecture.

Every initializer gets an explicit seed drawn from ``seed``: Keras's default
initializers draw theirs from Python's global :mod:`random`, which other
threads (a Dask worker's event loop, for one) also draw from. Every layer
takes the ``dtype`` policy given (``"mixed_bfloat16"`` computes in bfloat16
and keeps float32 weights), never Keras's global one.
"""

import math

import keras
import numpy as np
from keras import layers

from ._hardware import keep_to_thread_budget

# Before any model exists: TensorFlow takes a thread budget only then.
keep_to_thread_budget()

__all__ = ["conv_autoencoder", "dense_autoencoder", "tutorial_autoencoder"]


class _Initializers:
    """Hands out seeded Glorot-uniform initializers, one fresh seed per layer."""

    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)

    def __call__(self):
        seed = int(self._rng.integers(np.iinfo(np.int32).max))
        return keras.initializers.GlorotUniform(seed=seed)


def _conv(n_filters, init, strides=1, activation="relu", dtype=None):
    """A 3x3 convolution with "same" padding and a seeded initializer."""
    return layers.Conv2D(
        n_filters,
        3,
        strides=strides,
        padding="same",
        activation=activation,
        kernel_initializer=init(),
        dtype=dtype,
    )


def _dense(units, init, activation="relu", dtype=None):
    """A dense layer with a seeded initializer."""
    return layers.Dense(
        units, activation=activation, kernel_initializer=init(), dtype=dtype
    )


def _code_layer(z_dim, variational, init, dtype):
    """The encoder's linear output: the code, or its means and log-variances.

    It computes in float32 whatever the policy: the codes are the product.
    """
    name = "z_mean_log_var" if variational else "z"
    return layers.Dense(
        _code_width(z_dim, variational),
        name=name,
        kernel_initializer=init(),
        dtype=_float32(dtype),
    )


def _code_width(z_dim, variational):
    """The encoder's outputs: the code, or a variational code's means and log-variances."""
    return 2 * z_dim if variational else z_dim


def _float32(dtype):
    """float32 for layers whose output is returned to the user."""
    return None if dtype is None else "float32"


def _to_float32(x, dtype):
    """The decoder's output as float32: its last layer computes in ``dtype``
    (at full resolution, the costliest place for float32), then one cast."""
    if dtype is None or keras.DTypePolicy(dtype).compute_dtype == "float32":
        return x
    return layers.Activation("linear", dtype="float32", name="output_float32")(x)


def dense_autoencoder(
    input_shape,
    z_dim,
    *,
    hidden_units=(256, 128),
    output_activation="sigmoid",
    variational=False,
    seed=None,
    dtype=None,
):
    """Build a fully connected (MLP) encoder and a mirrored decoder.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one sample; images are flattened by the encoder and the
        decoder restores the shape.
    z_dim : int
        Size of the latent code.
    hidden_units : tuple of int, default=(256, 128)
        Widths of the encoder's ReLU layers; the decoder uses them reversed.
    output_activation : {"sigmoid", "linear"}, default="sigmoid"
        Activation of the decoder's last layer: ``"sigmoid"`` for data in
        [0, 1], ``"linear"`` for anything else (standardised features).
    variational : bool, default=False
        Give the encoder ``2 * z_dim`` outputs, the means and log-variances
        of a variational autoencoder's latent Gaussian.
    seed : int or None, default=None
        Seed for every kernel initializer.
    dtype : str or None, default=None
        Keras dtype policy of the hidden layers (``"float32"``, or
        ``"mixed_bfloat16"`` where the hardware computes bfloat16 natively);
        None takes Keras's global policy. The code layer computes in float32
        and the decoder's output is cast to float32 under any policy given.

    Returns
    -------
    encoder, decoder : keras.Model

    Examples
    --------
    >>> from skae.architectures import dense_autoencoder
    >>> encoder, decoder = dense_autoencoder((64,), 3, hidden_units=(32,), seed=0)
    >>> encoder.output_shape, decoder.output_shape
    ((None, 3), (None, 64))
    """
    init = _Initializers(seed)
    n_features = math.prod(input_shape)

    inputs = keras.Input(input_shape, name="x")
    x = layers.Flatten(dtype=dtype)(inputs) if len(input_shape) > 1 else inputs
    for units in hidden_units:
        x = _dense(units, init, dtype=dtype)(x)
    z = _code_layer(z_dim, variational, init, dtype)(x)
    encoder = keras.Model(inputs, z, name="encoder")

    codes = keras.Input((z_dim,), name="z")
    x = codes
    for units in reversed(hidden_units):
        x = _dense(units, init, dtype=dtype)(x)
    x = _to_float32(_dense(n_features, init, output_activation, dtype)(x), dtype)
    if len(input_shape) > 1:
        x = layers.Reshape(input_shape)(x)
    decoder = keras.Model(codes, x, name="decoder")
    return encoder, decoder


def conv_autoencoder(
    input_shape,
    z_dim,
    *,
    filters=(32, 64),
    hidden_units=(256,),
    upsampling="transpose",
    output_activation="sigmoid",
    variational=False,
    seed=None,
    dtype=None,
):
    """Build a convolutional encoder and decoder for images of any size.

    The encoder halves the image once per entry of ``filters`` (3x3 ReLU
    convolutions of stride 2, "same" padding), flattens, and passes through
    the ReLU layers of ``hidden_units`` to a linear code. The decoder mirrors
    it: dense layers back to the smallest feature map, one resolution-doubling
    step per entry of ``filters``, a crop to the input size, and a 3x3
    convolution to the image's channels. Heights and widths need not be
    powers of two (8x8 digits, 28x28 MNIST, 32x32x3 colour images all work).

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)``.
    z_dim : int
        Size of the latent code.
    filters : tuple of int, default=(32, 64)
        Filters of the encoder's convolutions. The decoder's steps mirror
        them: they output ``filters[-2], ..., filters[0]`` channels, then
        ``filters[0]`` again for the final convolution to read.
    hidden_units : tuple of int, default=(256,)
        Widths of the ReLU dense layers between the flattened feature map
        and the code; the decoder uses them reversed. With ``()`` the code is
        a linear function of the last feature map, which on MNIST costs
        accuracy at small ``z_dim``.
    upsampling : {"transpose", "nearest"}, default="transpose"
        How the decoder doubles the resolution: a trainable stride-2
        ``Conv2DTranspose``, or nearest-neighbour ``UpSampling2D`` followed
        by a 3x3 convolution, which costs four times the multiply-adds.
        Transposed convolutions can leave checkerboard artifacts; the final
        3x3 convolution at full resolution smooths them.
    output_activation : {"sigmoid", "linear"}, default="sigmoid"
        Activation of the decoder's last layer.
    variational : bool, default=False
        Give the encoder ``2 * z_dim`` outputs, the means and log-variances
        of a variational autoencoder's latent Gaussian.
    seed : int or None, default=None
        Seed for every kernel initializer.
    dtype : str or None, default=None
        Keras dtype policy of the hidden layers, as for
        :func:`dense_autoencoder`.

    Returns
    -------
    encoder, decoder : keras.Model

    Examples
    --------
    >>> from skae.architectures import conv_autoencoder
    >>> encoder, decoder = conv_autoencoder(
    ...     (8, 8, 1), 2, filters=(4, 8), hidden_units=(16,), seed=0
    ... )
    >>> encoder.output_shape, decoder.output_shape
    ((None, 2), (None, 8, 8, 1))
    """
    if upsampling not in ("nearest", "transpose"):
        raise ValueError(
            f"upsampling must be 'nearest' or 'transpose', got {upsampling!r}"
        )
    height, width, channels = input_shape
    init = _Initializers(seed)

    inputs = keras.Input(input_shape, name="x")
    x = inputs
    for n_filters in filters:
        x = _conv(n_filters, init, strides=2, dtype=dtype)(x)
    x = layers.Flatten(dtype=dtype)(x)
    for units in hidden_units:
        x = _dense(units, init, dtype=dtype)(x)
    z = _code_layer(z_dim, variational, init, dtype)(x)
    encoder = keras.Model(inputs, z, name="encoder")

    # "same" padding with stride 2 rounds up, so the smallest map is the
    # ceiling; the decoder grows it back and crops the surplus rows/columns.
    factor = 2 ** len(filters)
    small_h, small_w = math.ceil(height / factor), math.ceil(width / factor)
    codes = keras.Input((z_dim,), name="z")
    x = codes
    for units in reversed(hidden_units):
        x = _dense(units, init, dtype=dtype)(x)
    x = _dense(small_h * small_w * filters[-1], init, dtype=dtype)(x)
    x = layers.Reshape((small_h, small_w, filters[-1]), dtype=dtype)(x)
    # Step i mirrors the encoder's layer -1 - i, so it outputs that layer's
    # input channels: filters[-2], ..., filters[0], then filters[0] again
    # (not the image's channels; the final convolution makes those).
    for n_filters in (*filters[-2::-1], filters[0]):
        if upsampling == "transpose":
            x = layers.Conv2DTranspose(
                n_filters,
                3,
                strides=2,
                padding="same",
                activation="relu",
                kernel_initializer=init(),
                dtype=dtype,
            )(x)
        else:
            x = layers.UpSampling2D(2, dtype=dtype)(x)
            x = _conv(n_filters, init, dtype=dtype)(x)
    extra_h, extra_w = small_h * factor - height, small_w * factor - width
    if extra_h or extra_w:
        x = layers.Cropping2D(((0, extra_h), (0, extra_w)), dtype=dtype)(x)
    x = _conv(channels, init, activation=output_activation, dtype=dtype)(x)
    x = _to_float32(x, dtype)
    decoder = keras.Model(codes, x, name="decoder")
    return encoder, decoder


def tutorial_autoencoder(
    input_shape,
    z_dim,
    *,
    output_activation="sigmoid",
    variational=False,
    seed=None,
    dtype=None,
):
    """Build the reference MNIST tutorial's encoder and decoder, layer by layer.

    Encoder: four 3x3 convolutions of 8 filters with strides 2, 1, 2, 1,
    "same" padding and ReLU; flatten; a linear ``Dense(z_dim)``.
    Decoder: ``Dense(7*7*64, relu)``; reshape to 7x7x64; 3x3 convolution of 64
    filters; ``UpSampling2D(2)``; convolution of 32 filters;
    ``UpSampling2D(2)``; convolution to one channel with a sigmoid.

    For 28x28x1 images this is the tutorial's model exactly; other sizes work
    when height and width are multiples of 4 (the 7x7 map becomes H/4 x W/4).
    The user guide's page *The reference tutorial* describes the tutorial:
    this network, its training recipe and its figures.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)``, height and width multiples of 4.
    z_dim : int
        Size of the latent code (the tutorial uses 10, and 2 for plots).
    output_activation : {"sigmoid", "linear"}, default="sigmoid"
        The tutorial's sigmoid suits pixels in [0, 1].
    variational : bool, default=False
        Give the encoder ``2 * z_dim`` outputs, the means and log-variances
        of a variational autoencoder's latent Gaussian.
    seed : int or None, default=None
        Seed for every kernel initializer.
    dtype : str or None, default=None
        Keras dtype policy of the hidden layers, as for
        :func:`dense_autoencoder`.

    Returns
    -------
    encoder, decoder : keras.Model

    Examples
    --------
    >>> from skae.architectures import tutorial_autoencoder
    >>> encoder, decoder = tutorial_autoencoder((28, 28, 1), 10, seed=0)
    >>> [layer.strides for layer in encoder.layers[1:5]]
    [(2, 2), (1, 1), (2, 2), (1, 1)]
    >>> decoder.output_shape
    (None, 28, 28, 1)
    """
    height, width, channels = input_shape
    if height % 4 or width % 4:
        raise ValueError(
            "the tutorial architecture needs image height and width that are "
            f"multiples of 4, got image_shape={tuple(input_shape)}"
        )
    init = _Initializers(seed)

    inputs = keras.Input(input_shape, name="x")
    x = inputs
    for strides in (2, 1, 2, 1):
        x = _conv(8, init, strides, dtype=dtype)(x)
    x = layers.Flatten(dtype=dtype)(x)
    z = _code_layer(z_dim, variational, init, dtype)(x)
    encoder = keras.Model(inputs, z, name="encoder")

    small_h, small_w = height // 4, width // 4
    codes = keras.Input((z_dim,), name="z")
    x = _dense(small_h * small_w * 64, init, dtype=dtype)(codes)
    x = layers.Reshape((small_h, small_w, 64), dtype=dtype)(x)
    x = _conv(64, init, dtype=dtype)(x)
    x = layers.UpSampling2D(2, dtype=dtype)(x)
    x = _conv(32, init, dtype=dtype)(x)
    x = layers.UpSampling2D(2, dtype=dtype)(x)
    x = _conv(channels, init, activation=output_activation, dtype=dtype)(x)
    x = _to_float32(x, dtype)
    decoder = keras.Model(codes, x, name="decoder")
    return encoder, decoder
