"""The Keras side of fitting: batches, optimizer, callbacks, the training loop."""

import math
import time

import keras
import numpy as np

from ._hardware import keep_to_thread_budget
from .exceptions import DivergenceError

# TensorFlow takes a thread budget only before its runtime starts.
keep_to_thread_budget()

OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "nadam": keras.optimizers.Nadam,
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
}


class ShuffledBatches:
    """``(input, target)`` batches of ``X[rows]``, reshuffled every epoch.

    Batch ``i`` counts on across epochs, and the order of epoch
    ``i // steps_per_epoch`` is drawn from ``(seed, epoch)`` alone, so the
    order depends on the seed only. Every batch holds ``batch_size`` rows
    (all rows when there are fewer): the rows left over by an epoch's last
    full batch wait for another epoch's shuffle, and the training step is
    compiled for one shape only. Rows are read from ``X`` batch by batch
    (and cast to float32 there), so the training rows are never copied out
    of ``X`` as a whole.

    With ``noise``, the inputs (never the targets) are corrupted, afresh for
    every batch and again from ``noise_seed`` alone: ``"gaussian"`` adds
    noise of standard deviation ``noise_level`` and clips to ``clip`` (the
    range of the training data); ``"masking"`` zeroes a ``noise_level``
    share of the values.

    Under a Keras distribution that splits batches across devices, the
    batch size is a multiple of their number (rows repeat when there are
    fewer rows than devices).
    """

    def __init__(
        self,
        X,
        batch_size,
        seed,
        rows=None,
        noise=None,
        noise_level=0.0,
        clip=None,
        noise_seed=None,
    ):
        self.X = X
        self.rows = np.arange(len(X)) if rows is None else rows
        devices = device_count()
        self.batch_size = max(devices, min(batch_size, len(self.rows)) // devices * devices)
        self.seed = seed
        self.noise, self.noise_level, self.clip = noise, noise_level, clip
        self.noise_seed = noise_seed
        self.steps_per_epoch = max(1, len(self.rows) // self.batch_size)
        self._epoch, self._order = None, None

    def __getitem__(self, index):
        epoch, step = divmod(index, self.steps_per_epoch)
        if epoch != self._epoch:
            rng = np.random.default_rng([self.seed, epoch])
            self._epoch, self._order = epoch, rng.permutation(len(self.rows))
        picked = self._order[step * self.batch_size : (step + 1) * self.batch_size]
        picked = np.resize(picked, self.batch_size)  # fewer rows than devices
        # Sorted rows read memory (or a memory map) front to back; the order
        # within one batch does not change its gradient.
        batch = np.asarray(self.X[self.rows[np.sort(picked)]], dtype=np.float32)
        if self.noise is None:
            return batch, batch
        rng = np.random.default_rng([self.noise_seed, index])
        return self._corrupt(batch, rng), batch

    def _corrupt(self, batch, rng):
        if self.noise == "masking":
            return batch * (rng.random(batch.shape) >= self.noise_level).astype(
                batch.dtype
            )
        noisy = batch + rng.normal(0, self.noise_level, batch.shape).astype(batch.dtype)
        return np.clip(noisy, *self.clip)


@keras.saving.register_keras_serializable(package="skae")
class GaussianSampling(keras.layers.Layer):
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
        ops = keras.ops
        mean, log_var = ops.split(stats, 2, axis=-1)
        kl = -0.5 * ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
        self.add_loss(self.kl_scale * ops.mean(kl))
        epsilon = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * epsilon

    def get_config(self):
        return {**super().get_config(), "kl_scale": self.kl_scale, "seed": self.seed}


@keras.saving.register_keras_serializable(package="skae")
class ScaledMeanSquaredError(keras.losses.Loss):
    """The mean squared error times ``scale``."""

    def __init__(self, scale=1.0, name="scaled_mean_squared_error", **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale = float(scale)

    def call(self, y_true, y_pred):
        squared = keras.ops.square(y_true - y_pred)
        return keras.ops.mean(squared, axis=-1) * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def build_training_model(
    encoder,
    decoder,
    *,
    optimizer,
    learning_rate,
    kl_scale=None,
    seed=None,
    loss_scale=1.0,
):
    """Chain encoder and decoder into one compiled model trained on MSE.

    With ``kl_scale``, the model is variational: a :class:`GaussianSampling`
    layer sits between encoder and decoder and adds ``kl_scale`` times the
    KL divergence to the mean squared error. The whole loss is multiplied by
    ``loss_scale`` (one over the data's variance, for data standardised
    inside the model), so that training sees the same numbers whatever the
    data's units; :func:`train` reports losses in the data's units.
    """
    inputs = keras.Input(encoder.input_shape[1:])
    codes = encoder(inputs)
    if kl_scale is not None:
        codes = GaussianSampling(kl_scale * loss_scale, seed, name="sampling")(codes)
    model = keras.Model(inputs, decoder(codes), name="autoencoder")
    model.compile(
        optimizer=OPTIMIZERS[optimizer](learning_rate=learning_rate),
        loss=ScaledMeanSquaredError(loss_scale),
    )
    model.loss_scale = loss_scale
    # Built here rather than inside the first traced step, where creating
    # its variables would make TensorFlow trace the step twice.
    model.optimizer.build(model.trainable_variables)
    return model


# Adam's first steps, with its moment estimates still empty, are the ones
# most likely to throw a PCA start away; a short linear warm-up tames them.
WARMUP_STEPS = 100


def warmup_cosine(learning_rate, total_steps, warmup_steps):
    """The rate at each step: a linear warm-up, then half a cosine to zero."""

    def rate(step):
        if step < warmup_steps:
            return learning_rate * (step + 1) / warmup_steps
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return learning_rate * (1 + math.cos(math.pi * progress)) / 2

    return rate


class _BestEpoch:
    """Which epoch to keep, and when to stop, from the monitored loss.

    An epoch improves when its loss is below ``best * (1 - tol)``; after
    ``patience`` epochs without an improvement, ``stop`` is True. The loss
    before training counts as epoch 0 (``baseline``): when no epoch beats
    it, the model ends as it started.
    """

    def __init__(self, baseline, weights, tol, patience):
        self.best, self.epoch, self.weights = baseline, 0, weights
        self.tol, self.patience = tol, patience
        self.wait = 0

    def update(self, epoch, loss, model):
        threshold = math.inf  # no loss before training: any epoch beats it
        if math.isfinite(self.best):
            threshold = self.best - self.tol * abs(self.best)
        if loss < threshold:
            self.best, self.epoch, self.wait = loss, epoch, 0
            self.weights = model.get_weights()
        else:
            self.wait += 1

    @property
    def stop(self):
        return self.wait >= self.patience


def format_seconds(seconds):
    """``"42 s"`` or ``"3 min 5 s"``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60} s"


def train(
    model,
    encoder,
    decoder,
    X,
    *,
    rows,
    X_val,
    batch_size,
    epochs,
    learning_rate,
    schedule,
    early_stopping,
    patience,
    tol,
    callbacks,
    verbose,
    seed,
    kl_scale=None,
    noise=None,
    noise_level=0.0,
    noise_seed=None,
    say=print,
):
    """Fit ``model`` to reconstruct ``X[rows]``; return the history and the best epoch.

    A loop of ``train_on_batch`` calls, driving Keras callbacks as ``fit``
    does: it costs no data pipeline per epoch (which on small data costs
    more than the training), sets the learning rate of every step, and
    checks every batch's loss.

    ``schedule`` is ``"constant"`` (every step at ``learning_rate``) or
    ``"cosine"``: a warm-up over the first ``WARMUP_STEPS`` steps (a tenth
    of short fits), then half a cosine to zero at the end of ``epochs``.
    With ``early_stopping``, the validation loss (the training loss when
    ``X_val`` is None) decides which epoch is best, counting the model
    before training as epoch 0, and training stops after ``patience``
    epochs without an improvement of ``tol`` (relative); the best weights
    are restored. The returned best epoch is None without early stopping.
    Raises :class:`DivergenceError` as soon as a loss is not finite.
    """
    batches = ShuffledBatches(
        X,
        batch_size,
        seed,
        rows=rows,
        noise=noise,
        noise_level=noise_level,
        clip=(float(np.min(X)), float(np.max(X))) if noise == "gaussian" else None,
        noise_seed=noise_seed,
    )
    steps = batches.steps_per_epoch
    if schedule == "cosine":
        total = epochs * steps
        rate = warmup_cosine(learning_rate, total, min(WARMUP_STEPS, total // 10))
    else:
        rate = lambda step: learning_rate  # noqa: E731

    def validation_loss():
        return evaluate(encoder, decoder, X_val, batch_size, kl_scale)

    key = "loss" if X_val is None else "val_loss"
    best = None
    if early_stopping:
        baseline = math.inf if X_val is None else validation_loss()
        best = _BestEpoch(baseline, model.get_weights(), tol, patience)
    history = {}
    callback_list = keras.callbacks.CallbackList(
        callbacks,
        add_progbar=verbose >= 2,
        model=model,
        verbose=int(verbose >= 2),
        epochs=epochs,
        steps=steps,
    )
    model.stop_training = False
    learning_rate_variable = model.optimizer.learning_rate
    durations = []
    callback_list.on_train_begin()
    for epoch in range(epochs):
        start = time.perf_counter()
        callback_list.on_epoch_begin(epoch)
        losses = []
        for step in range(steps):
            learning_rate_variable.assign(rate(epoch * steps + step))
            callback_list.on_train_batch_begin(step)
            batch = batches[epoch * steps + step]
            loss = float(model.train_on_batch(*batch)) / model.loss_scale
            _check_finite(loss, f"batch {step + 1} of epoch {epoch + 1}", learning_rate)
            losses.append(loss)
            callback_list.on_train_batch_end(step, {"loss": loss})
            if model.stop_training:  # a callback asked, mid-epoch
                break
        logs = {"loss": float(np.mean(losses))}
        if X_val is not None:
            logs["val_loss"] = validation_loss()
            _check_finite(
                logs["val_loss"], f"the validation of epoch {epoch + 1}", learning_rate
            )
        logs["learning_rate"] = rate(epoch * steps + steps - 1)
        for name, value in logs.items():
            history.setdefault(name, []).append(value)
        callback_list.on_epoch_end(epoch, dict(logs))
        durations.append(time.perf_counter() - start)
        if verbose:
            _say_epoch(say, epoch, epochs, logs, durations)
        if best is not None:
            best.update(epoch + 1, logs[key], model)
            if best.stop:
                model.stop_training = True
        if model.stop_training:
            break
    callback_list.on_train_end(dict(logs))
    if best is None:
        return history, None
    n_epochs = len(history["loss"])
    if best.epoch != n_epochs:
        model.set_weights(best.weights)
    if verbose:
        why = (
            "the epoch budget was used up"
            if n_epochs == epochs
            else f"no improvement for {patience} epochs"
        )
        kept = "the starting model" if best.epoch == 0 else f"epoch {best.epoch}"
        say(f"stopped after epoch {n_epochs} ({why}); kept {kept}")
    return history, best.epoch


def _say_epoch(say, epoch, epochs, logs, durations):
    losses = ", ".join(
        f"{name} {value:.5g}" for name, value in logs.items() if name.endswith("loss")
    )
    left = np.mean(durations) * (epochs - epoch - 1)
    say(
        f"epoch {epoch + 1}/{epochs}: {losses} ({durations[-1]:.1f} s, "
        f"at most {format_seconds(left)} left)"
    )


def _check_finite(loss, where, learning_rate):
    if math.isfinite(loss):
        return
    raise DivergenceError(
        f"Training diverged: the loss became {loss} in {where}. Scale the "
        f"data (StandardScaler for features, pixels to [0, 1]) or lower "
        f"learning_rate (it was {learning_rate:g}). The estimator keeps the "
        "model it had before this fit."
    )


def evaluate(encoder, decoder, X, batch_size, kl_scale=None):
    """The loss on ``X`` as training counts it, from the codes' means.

    A variational model's codes are not sampled here: its validation loss
    decodes the means, plus ``kl_scale`` times the KL term, so that it does
    not change from one evaluation of the same model to the next.
    """
    total, n = 0.0, len(X)
    for start in range(0, n, _EVALUATION_ROWS):
        part = X[start : start + _EVALUATION_ROWS]
        stats = predict(encoder, part, batch_size)
        means = stats if kl_scale is None else stats[:, : stats.shape[1] // 2]
        flat = part.reshape(len(part), -1)
        reconstructed = predict(decoder, means, batch_size).reshape(flat.shape)
        total += float(np.sum((reconstructed - flat) ** 2)) / flat.shape[1]
        if kl_scale is not None:
            log_var = stats[:, stats.shape[1] // 2 :]
            kl = -0.5 * np.sum(1 + log_var - means**2 - np.exp(log_var), axis=1)
            total += kl_scale * float(np.sum(kl))
    return total / n


# Rows whose reconstructions are held at once by evaluate.
_EVALUATION_ROWS = 4096


def device_count():
    """How many devices a Keras distribution splits each batch across (1 if none)."""
    distribution = keras.distribution.distribution()
    if distribution is None:
        return 1
    mesh = distribution.device_mesh
    return int(mesh.shape[list(mesh.axis_names).index(distribution.batch_dim_name)])


def predict(model, X, batch_size, out=None):
    """``model`` applied to ``X`` batch by batch, into one preallocated array.

    Each batch is cast to float32 on its own, so neither a float32 copy of
    ``X`` nor a list of per-batch outputs is ever held whole; the last batch
    is padded to full size, so the model is compiled for one shape only and
    a row's output never depends on how many rows came with it. ``out``
    may be given to write into.
    """
    n = len(X)
    if out is None:
        out = np.empty((n, *model.output_shape[1:]), dtype=np.float32)
    devices = device_count()
    batch_size = -(-batch_size // devices) * devices
    for start in range(0, n, batch_size):
        batch = np.asarray(X[start : start + batch_size], dtype=np.float32)
        rows = len(batch)
        if rows < batch_size:
            padding = np.zeros((batch_size - rows, *batch.shape[1:]), np.float32)
            batch = np.concatenate([batch, padding])
        outputs = keras.ops.convert_to_numpy(model.predict_on_batch(batch))
        out[start : start + rows] = outputs[:rows]
    return out
