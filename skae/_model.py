"""The Keras side of a fit's networks: build them from a plan, start them, save them.

:func:`build` turns a fit's plan into :class:`Networks`: the encoder and
decoder (built-in ones from a *recipe*, a plain dict of builder name,
shapes, seed and dtype policy; or the user's own), started where the plan
says, and the model that trains them. Rebuilding a fitted model from its
recipe and weights runs only skae's own code, which is how a saved
estimator loads without executing anything from the file.

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

import contextlib
import functools
import json
import logging
import math
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

from . import architectures
from ._plan import BUILT_IN_ARCHITECTURES, OPTIMIZERS

BUILDERS = {
    name: getattr(architectures, f"{name}_autoencoder") for name in BUILT_IN_ARCHITECTURES
}
_KERAS_DTYPE_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}


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



@keras.saving.register_keras_serializable(package="skae")
class PrefixGate(layers.Layer):
    """A nested decoder's nonlinear part, switched off for the first prefixes.

    ``[h, mask]`` to ``h`` where the mask keeps more than ``pca_codes``
    codes, and to zero where it keeps at most that many: those prefixes
    decode by the linear path alone, as PCA does. ``pca_codes`` is a
    non-trainable weight, so it travels with the model's weights.
    """

    def build(self, input_shapes):
        self.pca_codes = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="pca_codes"
        )

    def call(self, inputs):
        h, mask = inputs
        kept = keras.ops.sum(mask, axis=-1) > self.pca_codes
        gate = keras.ops.cast(kept, h.dtype)
        return h * keras.ops.reshape(gate, (-1,) + (1,) * (len(h.shape) - 1))

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]


@keras.saving.register_keras_serializable(package="skae")
class GaussianSampling(layers.Layer):
    """The variational bottleneck: ``z ~ N(mean, exp(log_var))``.

    Takes the encoder's ``2 * z_dim`` outputs (means, then log-variances),
    draws ``z`` with the reparameterisation trick and adds
    ``kl_scale * KL(N(mean, var) || N(0, I))``, averaged over the batch, to
    the model's loss. Written with ``keras.ops`` alone, for every backend.
    """

    def __init__(self, kl_scale, seed, **kwargs):
        super().__init__(**kwargs)
        self.kl_scale = kl_scale
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, stats):
        mean, log_var = keras.ops.split(stats, 2, axis=-1)
        self.add_loss(self.kl_scale * keras.ops.mean(kl_divergence(mean, log_var)))
        epsilon = keras.random.normal(keras.ops.shape(mean), seed=self.seed_generator)
        return mean + keras.ops.exp(0.5 * log_var) * epsilon

    def get_config(self):
        return {**super().get_config(), "kl_scale": self.kl_scale, "seed": self.seed}


def kl_divergence(mean, log_var):
    """``KL(N(mean, exp(log_var)) || N(0, I))`` per sample (tensors or arrays)."""
    ops = keras.ops
    # As tensors first: under torch, a NumPy array minus a tensor is a TypeError.
    mean, log_var = ops.convert_to_tensor(mean), ops.convert_to_tensor(log_var)
    return -0.5 * ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)


@keras.saving.register_keras_serializable(package="skae")
class ScaledMeanSquaredError(keras.losses.Loss):
    """The mean squared error of each sample, times ``scale``."""

    def __init__(self, scale=1.0, name="scaled_mean_squared_error", **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale = float(scale)

    def call(self, y_true, y_pred):
        # One value per sample (images too), so that sample weights apply;
        # a nested model predicts each sample once per prefix it decodes,
        # (n, slots, ...): one value per sample and prefix.
        per_prefix = len(y_pred.shape) - len(y_true.shape)
        if per_prefix:
            y_true = keras.ops.expand_dims(y_true, 1)
        squared = keras.ops.square(y_true - y_pred)
        features = tuple(range(1 + per_prefix, len(squared.shape)))
        return keras.ops.mean(squared, axis=features) * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


# The training model's own layers: registered, as a Keras callback holding
# that model (the user's, in clone's deep copy of the parameters) copies it
# through its config.
@keras.saving.register_keras_serializable(package="skae")
class PrefixCopies(layers.Layer):
    """``[codes (n, z), masks (n, slots, z)]`` to a nested decoder's inputs:
    ``slots`` copies of each code, each with its own mask, ``(n * slots, z)``."""

    def call(self, inputs):
        codes, masks = inputs
        copies = keras.ops.expand_dims(codes, 1) * keras.ops.ones_like(masks)
        width = keras.ops.shape(masks)[-1]
        return [keras.ops.reshape(copies, (-1, width)), keras.ops.reshape(masks, (-1, width))]

    def compute_output_shape(self, input_shapes):
        _, masks = input_shapes
        return [(None, masks[-1]), (None, masks[-1])]


@keras.saving.register_keras_serializable(package="skae")
class SlotsOfCopies(layers.Layer):
    """The decoder's ``(n * slots, ...)`` outputs as ``(n, slots, ...)``."""

    def __init__(self, slots, **kwargs):
        super().__init__(**kwargs)
        self.slots = slots

    def call(self, x_hat):
        return keras.ops.reshape(x_hat, (-1, self.slots, *x_hat.shape[1:]))

    def compute_output_shape(self, input_shape):
        return (None, self.slots, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "slots": self.slots}


@dataclass(frozen=True)
class Networks:
    """A fit's networks: the encoder and decoder, and the model that trains them."""

    encoder: keras.Model
    decoder: keras.Model
    training_model: keras.Model
    recipe: dict | None  # how to rebuild them; None for a custom architecture
    # Training sees the loss on the standardised scale (1 / the data's
    # variance), so the same numbers whatever the data's units.
    loss_scale: float


def build(plan, data, previous=None):
    """The networks a fit trains: new ones for ``plan``, or ``previous``'s.

    New built-in networks start where ``plan.model.start`` says, from PCA
    of the training rows (``plan.pca``). A fitted state's networks are
    trained on as they are, by their training model, or a new one if it
    was not saved.
    """
    if previous is not None:
        encoder, decoder = previous.encoder_, previous.decoder_
        training_model = previous._training_model or _training_model(
            encoder, decoder, plan, previous._loss_scale
        )
        return Networks(
            encoder, decoder, training_model, previous._recipe, previous._loss_scale
        )
    model = plan.model
    if model.architecture == "custom":
        encoder, network = model.builder(model.input_shape, model.z_dim)
        _check_custom(encoder, network, model)
        decoder = _wrap_decoder(network, model.input_shape, model.z_dim, model.nested)
        recipe = None
    else:
        recipe = _recipe(model, plan.seed_for("init"))
        encoder, decoder = from_recipe(recipe)
    loss_scale = 1.0
    if model.start is not None:
        set_start(encoder, decoder, plan.pca)
        # The loss on the standardised scale: training sees the same
        # numbers whatever the units of the data.
        loss_scale = 1.0 / plan.pca.scale**2
    training_model = _training_model(encoder, decoder, plan, loss_scale)
    return Networks(encoder, decoder, training_model, recipe, loss_scale)


def _recipe(model, seed):
    return {
        "builder": model.architecture,
        "input_shape": model.input_shape,
        "z_dim": model.z_dim,
        "variational": model.variational,
        "nested": model.nested,
        "start": model.start,
        "output": model.output_activation,
        "options": dict(model.options),
        "seed": seed,
        "dtype": _KERAS_DTYPE_POLICIES[model.compute_dtype],
        # Nested decoders from a PCA start can decode their first prefixes
        # as PCA does (models saved by skae 0.1.0 have no gate).
        "prefix_gate": model.nested and model.start == "pca",
    }


def _check_custom(encoder, decoder, model):
    """Refuse a custom architecture whose models do not fit together."""
    if not (isinstance(encoder, keras.Model) and isinstance(decoder, keras.Model)):
        raise TypeError(
            "a callable architecture must return (encoder, decoder), two "
            f"keras.Model objects; got ({type(encoder).__name__}, "
            f"{type(decoder).__name__})"
        )
    width = architectures._code_width(model.z_dim, model.variational)
    expected = {
        "encoder input": ((None, *model.input_shape), encoder.input_shape),
        "encoder output": ((None, width), encoder.output_shape),
        "decoder input": ((None, model.z_dim), decoder.input_shape),
        "decoder output": ((None, *model.input_shape), decoder.output_shape),
    }
    for what, (want, got) in expected.items():
        if tuple(got) != want:
            raise ValueError(
                f"the custom architecture's {what} shape is {tuple(got)}, "
                f"expected {want}"
            )


def from_recipe(recipe):
    """A fresh encoder and decoder for a built-in ``recipe`` (seeded weights).

    The recipe's ``start`` decides the wrapping: ``"pca"`` adds the linear
    path and zeroes the networks' last layers (their weights are set by
    :func:`set_start`), ``"random"`` only standardises the input, None leaves
    the network as its builder makes it (``"tutorial"``). A ``nested``
    decoder takes a mask too.
    """
    input_shape, z_dim = tuple(recipe["input_shape"]), recipe["z_dim"]
    start, output = recipe["start"], recipe["output"]
    # The network's own output: a sigmoid only when nothing follows it.
    network_output = "sigmoid" if output == "sigmoid" else "linear"
    encoder, decoder = BUILDERS[recipe["builder"]](
        input_shape,
        z_dim,
        output_activation=network_output,
        variational=recipe["variational"],
        seed=recipe["seed"],
        dtype=recipe["dtype"],
        **recipe.get("options", {}),  # skae 0.1.0 saved none: the builders' defaults
    )
    if start == "pca":
        _zero_last_layer(encoder)
        _zero_last_layer(decoder)
    if start is not None:
        encoder = _wrap_encoder(encoder, input_shape, pca=start == "pca")
    decoder = _wrap_decoder(
        decoder,
        input_shape,
        z_dim,
        recipe["nested"],
        start=start,
        output=output,
        gate=recipe.get("prefix_gate", False),
    )
    return encoder, decoder


def _wrap_encoder(network, input_shape, pca):
    """``z = g(u)``, or with the PCA path ``z = u @ components.T + g(u)``."""
    x = keras.Input(input_shape, name="x")
    u = Standardize(name="standardize")(x)
    z = network(u)
    if pca:
        flat = layers.Flatten()(u) if len(input_shape) > 1 else u
        linear = layers.Dense(z.shape[-1], use_bias=False, name="pca_projection")
        z = layers.Add(name="code")([linear(flat), z])
    return keras.Model(x, z, name="encoder")


def _wrap_decoder(
    network, input_shape, z_dim, nested, start=None, output=None, gate=False
):
    """The decoder around ``network`` (``h``), as the start and nesting need it.

    ``x_hat = mean + scale * (h(z) [+ z @ components])``, clipped if asked,
    for a network that starts from standardised data; ``network`` as it
    is otherwise. A nested decoder takes ``[codes, mask]``: it decodes the
    codes where the mask is 1 (a prefix), and ``h`` is told which ones, by
    a learned signature of the mask added to its input (zero at the start,
    so a PCA start still decodes exactly as PCA). With ``gate``, a
    :class:`PrefixGate` leaves the first prefixes to the linear path
    (:func:`set_pca_codes`).
    """
    if start is None and not nested:
        return network
    codes = keras.Input((z_dim,), name="z")
    inputs, z = codes, codes
    if nested:
        mask = keras.Input((z_dim,), name="mask")
        inputs = [codes, mask]
        z = layers.Multiply(name="prefix")([codes, mask])
        signature = layers.Dense(
            z_dim, use_bias=False, kernel_initializer="zeros", name="prefix_signature"
        )
        x_hat = network(layers.Add()([z, signature(mask)]))
        if gate:
            x_hat = PrefixGate(name="prefix_gate")([x_hat, mask])
    else:
        x_hat = network(z)
    if start == "pca":
        linear = layers.Dense(
            math.prod(input_shape), use_bias=False, name="pca_reconstruction"
        )
        back = linear(z)
        if len(input_shape) > 1:
            back = layers.Reshape(input_shape)(back)
        x_hat = layers.Add()([back, x_hat])
    if start is not None and output != "sigmoid":
        x_hat = Standardize(invert=True, name="unstandardize")(x_hat)
    if output == "clip":
        x_hat = ClipAtPrediction(0.0, 1.0, name="clip")(x_hat)
    return keras.Model(inputs, x_hat, name="decoder")


def set_start(encoder, decoder, axes):
    """Start a wrapped model from :class:`~skae._stats.Axes`: its standardisation,
    and with a PCA path, PCA's axes."""
    set_pca(encoder, decoder, axes.mean, axes.scale, axes.components)


def set_pca(encoder, decoder, mean, scale, components):
    """Start a wrapped model at PCA: set its standardisation and linear path.

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


def set_pca_codes(encoder, decoder, n_codes, axes=None):
    """Make a nested model's first ``n_codes`` codes PCA's, decoded as PCA does.

    Those codes become PCA's projections again: the linear path's first
    ``n_codes`` directions are set back to ``axes.components`` (training
    moves them) and the encoder's network stops adding to them (its last
    layer's weights for them are zeroed). The decoder's
    :class:`PrefixGate` then decodes every prefix of at most ``n_codes``
    codes by the linear path alone, which is PCA's reconstruction; longer
    prefixes decode as before, from the codes as they now are.
    """
    if n_codes:
        components = axes.components[:n_codes].astype(np.float32)
        projection = encoder.get_layer("pca_projection")
        (kernel,) = projection.get_weights()
        kernel[:, :n_codes] = components.T
        projection.set_weights([kernel])
        reconstruction = decoder.get_layer("pca_reconstruction")
        (rows,) = reconstruction.get_weights()
        rows[:n_codes] = components
        reconstruction.set_weights([rows])
        network = next(layer for layer in encoder.layers if isinstance(layer, keras.Model))
        code_layer = _last_weighted_layer(network)
        kernel, bias = code_layer.get_weights()
        kernel[:, :n_codes], bias[:n_codes] = 0, 0
        code_layer.set_weights([kernel, bias])
    decoder.get_layer("prefix_gate").set_weights([np.float32(n_codes)])


def _zero_last_layer(model):
    """Set the weights of the last layer that has any to zero."""
    last = _last_weighted_layer(model)
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])


def _last_weighted_layer(model):
    return [layer for layer in model.layers if layer.weights][-1]


def _training_model(encoder, decoder, plan, loss_scale):
    """Encoder and decoder chained into one model, compiled for the plan.

    The loss is the mean squared error, plus for a variational model the KL
    term that a :class:`GaussianSampling` layer between them adds; all of
    it times ``loss_scale``. A nested model takes the mask of each sample's
    prefix as a second input.
    """
    inputs = keras.Input(encoder.input_shape[1:])
    codes = encoder(inputs)
    if plan.kl_scale is not None:
        codes = GaussianSampling(
            plan.kl_scale * loss_scale, plan.seed_for("sampling"), name="sampling"
        )(codes)
    if plan.model.nested:
        # Each sample is decoded once per slot, from the prefix its mask keeps.
        slots = plan.nesting.SLOTS
        masks = keras.Input((slots, plan.model.z_dim))
        inputs = [inputs, masks]
        copies = PrefixCopies(name="prefix_copies")([codes, masks])
        x_hat = SlotsOfCopies(slots, name="slots")(decoder(copies))
    else:
        x_hat = decoder(codes)
    model = keras.Model(inputs, x_hat, name="autoencoder")
    optimizer = getattr(keras.optimizers, OPTIMIZERS[plan.optimizer])
    model.compile(
        optimizer=optimizer(learning_rate=plan.learning_rate),
        loss=ScaledMeanSquaredError(loss_scale),
    )
    # Built here rather than inside the first traced step, where creating
    # its variables would make TensorFlow trace the step twice.
    model.optimizer.build(model.trainable_variables)
    return model


# -- predicting, batch by batch ----------------------------------------------------


def device_count():
    """How many devices a Keras distribution splits each batch across (1 if none)."""
    distribution = keras.distribution.distribution()
    if distribution is None:
        return 1
    mesh = distribution.device_mesh
    return int(mesh.shape[list(mesh.axis_names).index(distribution.batch_dim_name)])


class _NewModelTraces(logging.Filter):
    """Drops TensorFlow's warning that a function was traced "too often".

    TensorFlow counts the traces of every Keras model's train and predict
    steps together (it keys them by their code, which all models share)
    and warns when 5 of the last 10 calls traced. A fit builds new models,
    and a new model's first call must trace: a few small fits in a row
    (``check_estimator``'s, or a refit after a fit that diverged at once)
    set it off though nothing is traced twice.
    """

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def new_model_traces():
    """While skae trains or predicts, TensorFlow's first-trace warnings are off."""
    if keras.backend.backend() != "tensorflow":
        yield
        return
    logger, quiet = logging.getLogger("tensorflow"), _NewModelTraces()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def _quiet_new_model_traces(function):
    @functools.wraps(function)
    def quietly(*args, **kwargs):
        with new_model_traces():
            return function(*args, **kwargs)

    return quietly


@_quiet_new_model_traces
def predict(model, X, batch_size):
    """``model`` applied to ``X`` batch by batch, into one preallocated array.

    ``X`` is an array, or a tuple of arrays of equal length for a model of
    several inputs. Each batch is cast to float32 on its own, so neither a
    float32 copy of ``X`` nor a list of per-batch outputs is ever held
    whole; the last batch is padded to full size, so the model is compiled
    for one shape only and a row's output never depends on how many rows
    came with it.
    """
    inputs = X if isinstance(X, tuple) else (X,)
    n = len(inputs[0])
    out = np.empty((n, *model.output_shape[1:]), dtype=np.float32)
    devices = device_count()
    batch_size = -(-batch_size // devices) * devices
    for first in range(0, n, batch_size):
        batch = [_padded(x[first : first + batch_size], batch_size) for x in inputs]
        outputs = model.predict_on_batch(batch if len(batch) > 1 else batch[0])
        rows = min(batch_size, n - first)
        out[first : first + rows] = keras.ops.convert_to_numpy(outputs)[:rows]
    return out


def _padded(rows, size):
    """``rows`` as float32, padded with zeros to ``size`` rows."""
    batch = np.asarray(rows, dtype=np.float32)
    if len(batch) < size:
        padding = np.zeros((size - len(batch), *batch.shape[1:]), np.float32)
        batch = np.concatenate([batch, padding])
    return batch


def decode(decoder, Z, batch_size):
    """Reconstructions of codes; a nested decoder decodes ``Z`` as a prefix.

    ``Z``'s k columns are the first k codes: the rest are masked.
    """
    if len(decoder.inputs) == 1:
        return predict(decoder, Z, batch_size)
    padded, mask = prefix_inputs(Z, decoder.inputs[0].shape[-1])
    return predict(decoder, (padded, mask), batch_size)


def prefix_inputs(Z, width):
    """A nested decoder's inputs for codes ``Z``: zero-padded codes and the mask."""
    n, k = Z.shape
    padded = np.zeros((n, width), dtype=np.float32)
    padded[:, :k] = Z
    mask = np.zeros((n, width), dtype=np.float32)
    mask[:, :k] = 1
    return padded, mask


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
        encoder, decoder = from_recipe(recipe)
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
