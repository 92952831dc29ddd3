"""The encoder and decoder that AutoencoderTransformer trains, built from a recipe.

A recipe is a plain dict (builder name, shapes, seed, dtype policy, ...):
``build`` turns it into fresh models, and rebuilding a fitted model from its
recipe and weights runs only skae's own code, which is how a saved estimator
loads without executing anything from the file.

With ``init="pca"`` the built-in networks ``g`` (encoder) and ``h``
(decoder) become corrections to a linear path that starts as PCA::

    u = (x - mean) / scale                      one scale for all features
    z = u @ components.T + g(u)
    x_hat = mean + scale * (z @ components + h(z))

``g`` and ``h`` end in layers initialised to zero, so an untrained model
*is* PCA (its codes divided by ``scale``), and training, which keeps the
best epoch and weighs the start too, can only improve on it. Working on
``u`` also makes training independent of the data's units.
"""

import json
import math

import keras
import numpy as np
from keras import layers

from . import architectures

BUILDERS = {
    "dense": architectures.dense_autoencoder,
    "conv": architectures.conv_autoencoder,
    "tutorial": architectures.tutorial_autoencoder,
}


@keras.saving.register_keras_serializable(package="skae")
class Standardize(layers.Layer):
    """``(x - mean) / scale``, or with ``invert=True`` ``x * scale + mean``.

    ``mean`` (one value per feature) and ``scale`` (one for all features)
    are non-trainable weights set from the training data, so they travel
    with the model's weights.
    """

    def __init__(self, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.invert = invert

    def build(self, input_shape):
        self.mean = self.add_weight(
            shape=tuple(input_shape[1:]),
            initializer="zeros",
            trainable=False,
            name="mean",
        )
        self.scale = self.add_weight(
            shape=(), initializer="ones", trainable=False, name="scale"
        )

    def call(self, x):
        if self.invert:
            return x * self.scale + self.mean
        return (x - self.mean) / self.scale

    def get_config(self):
        return {**super().get_config(), "invert": self.invert}


@keras.saving.register_keras_serializable(package="skae")
class ClipAtPrediction(layers.Layer):
    """Clip to ``[low, high]`` when predicting; pass through in training.

    A clip inside training would stop the gradient of every value beyond
    the bounds, even where the target lies inside them; clipping only the
    predictions can only bring them closer to targets in the bounds.
    """

    def __init__(self, low=0.0, high=1.0, **kwargs):
        super().__init__(**kwargs)
        self.low, self.high = float(low), float(high)

    def call(self, x, training=False):
        if training:
            return x
        return keras.ops.clip(x, self.low, self.high)

    def get_config(self):
        return {**super().get_config(), "low": self.low, "high": self.high}


def build(recipe):
    """A fresh encoder and decoder for a built-in ``recipe`` (seeded weights).

    The recipe's ``init`` decides the wrapping: ``"pca"`` adds the linear
    path and zeroes the networks' last layers (their weights are set by
    :func:`set_pca`), ``"random"`` only standardises the input.
    ``"tutorial"`` is built as the tutorial writes it, unwrapped.
    """
    input_shape, z_dim = tuple(recipe["input_shape"]), recipe["z_dim"]
    variational, output = recipe["variational"], recipe["output"]
    builder = BUILDERS[recipe["builder"]]
    # The network's own output: a sigmoid only when nothing follows it.
    network_output = "sigmoid" if output == "sigmoid" else "linear"
    encoder, decoder = builder(
        input_shape,
        z_dim,
        output_activation=network_output,
        variational=variational,
        seed=recipe["seed"],
        dtype=recipe["dtype"],
    )
    if recipe["builder"] == "tutorial":
        return encoder, decoder
    pca = recipe["init"] == "pca"
    if pca:
        _zero_last_layer(encoder)
        _zero_last_layer(decoder)
    code_size = 2 * z_dim if variational else z_dim
    n_features = math.prod(input_shape)

    x = keras.Input(input_shape, name="x")
    u = Standardize(name="standardize")(x)
    z = encoder(u)
    if pca:
        flat = layers.Flatten()(u) if len(input_shape) > 1 else u
        linear = layers.Dense(code_size, use_bias=False, name="pca_projection")
        z = layers.Add(name="code")([linear(flat), z])
    full_encoder = keras.Model(x, z, name="encoder")

    codes = keras.Input((z_dim,), name="z")
    x_hat = decoder(codes)
    if pca:
        linear = layers.Dense(n_features, use_bias=False, name="pca_reconstruction")
        back = linear(codes)
        if len(input_shape) > 1:
            back = layers.Reshape(input_shape)(back)
        x_hat = layers.Add()([back, x_hat])
    if output != "sigmoid":
        x_hat = Standardize(invert=True, name="unstandardize")(x_hat)
    if output == "clip":
        x_hat = ClipAtPrediction(0.0, 1.0, name="clip")(x_hat)
    full_decoder = keras.Model(codes, x_hat, name="decoder")
    return full_encoder, full_decoder


def set_pca(encoder, decoder, mean, scale, components):
    """Start a model of :func:`build` at PCA: set its standardisation and linear path.

    ``components`` are PCA's (``z_dim``, n_features) unit vectors of the
    standardised data; rows beyond its rank may be zero.
    """
    mean = np.asarray(mean, dtype=np.float32)
    for model in (encoder, decoder):
        for layer in model.layers:
            if isinstance(layer, Standardize):
                layer.set_weights([mean.reshape(layer.mean.shape), np.float32(scale)])
    names = {layer.name for layer in encoder.layers}
    if "pca_projection" not in names:
        return
    projection = encoder.get_layer("pca_projection")
    kernel = np.zeros(projection.kernel.shape, dtype=np.float32)
    kernel[:, : len(components)] = components.T  # log-variances stay zero
    projection.set_weights([kernel])
    decoder.get_layer("pca_reconstruction").set_weights(
        [components.astype(np.float32)]
    )


def _zero_last_layer(model):
    """Set the weights of the last layer that has any to zero."""
    last = [layer for layer in model.layers if layer.weights][-1]
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])


# -- saving without pickling Keras objects -------------------------------------


def to_state(encoder, decoder, recipe):
    """Plain data (strings, lists of arrays) from which :func:`from_state` rebuilds.

    Built-in models are described by their recipe; a custom architecture by
    its Keras config, as JSON.
    """
    state = {
        "encoder_weights": [np.asarray(w) for w in encoder.get_weights()],
        "decoder_weights": [np.asarray(w) for w in decoder.get_weights()],
    }
    if recipe is None:
        state["encoder_config"] = json.dumps(keras.saving.serialize_keras_object(encoder))
        state["decoder_config"] = json.dumps(keras.saving.serialize_keras_object(decoder))
    return state


def from_state(state, recipe, safe_mode=True):
    """Encoder and decoder rebuilt from :func:`to_state`'s data.

    Built-in models are rebuilt by skae's builders; a custom architecture
    from its config with Keras's safe mode, which refuses ``Lambda`` layers
    (they hold Python code) unless ``safe_mode=False``.
    """
    if recipe is not None:
        encoder, decoder = build(recipe)
    else:
        encoder, decoder = (
            keras.saving.deserialize_keras_object(
                json.loads(state[key]), safe_mode=safe_mode
            )
            for key in ("encoder_config", "decoder_config")
        )
    encoder.set_weights(state["encoder_weights"])
    decoder.set_weights(state["decoder_weights"])
    return encoder, decoder
