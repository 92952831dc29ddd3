"""The Keras side of fitting: batches, optimizer, callbacks, the training loop."""

import os

import keras
import numpy as np


def _respect_thread_limit():
    """Give TensorFlow the thread budget that joblib and Dask give this process.

    Inside a loky worker of ``n_jobs=k``, or a Dask worker, OMP_NUM_THREADS
    holds this process's share of the cores. NumPy's BLAS honours it;
    TensorFlow does not, and would start one thread per core in every worker.
    TensorFlow accepts the setting only before it starts its runtime, hence
    at this module's import, the first thing a fit does with Keras.
    """
    limit = os.environ.get("OMP_NUM_THREADS", "")
    if keras.backend.backend() != "tensorflow" or not limit.isdigit():
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(int(limit))
        tf.config.threading.set_inter_op_parallelism_threads(int(limit))
    except RuntimeError:  # the runtime already runs: too late, and harmless
        pass


_respect_thread_limit()

_OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "nadam": keras.optimizers.Nadam,
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
}


class ShuffledBatches(keras.utils.PyDataset):
    """``(input, target)`` batches of ``X``, reshuffled every epoch.

    Batch ``i`` counts on across epochs (Keras runs it as an endless dataset
    with ``steps_per_epoch``), and the order of epoch ``i // steps_per_epoch``
    is drawn from ``(seed, epoch)`` alone. Keras's ``shuffle=True`` would use
    the backend's global random state, and a reshuffle in ``on_epoch_end``
    races with tf.data's prefetching; this order depends on the seed only.
    Measured on MNIST, it is as fast as passing arrays to ``fit``.

    With ``noise``, the inputs (never the targets) are corrupted, afresh for
    every batch and again from the seed alone: ``"gaussian"`` adds noise of
    standard deviation ``noise_level`` and clips to ``clip`` (the range of
    the training data); ``"masking"`` zeroes a ``noise_level`` share of the
    values.
    """

    def __init__(self, X, batch_size, seed, noise=None, noise_level=0.0, clip=None):
        super().__init__()
        self.X = X
        self.batch_size = batch_size
        self.seed = seed
        self.noise, self.noise_level, self.clip = noise, noise_level, clip
        self.steps_per_epoch = -(-len(X) // batch_size)
        self._epoch, self._order = None, None

    @property
    def num_batches(self):
        return None  # endless: epochs are cut by steps_per_epoch

    def __getitem__(self, index):
        epoch, step = divmod(index, self.steps_per_epoch)
        if epoch != self._epoch:
            rng = np.random.default_rng([self.seed, epoch])
            self._epoch, self._order = epoch, rng.permutation(len(self.X))
        rows = self._order[step * self.batch_size : (step + 1) * self.batch_size]
        # Sorted rows read memory (or a memory map) front to back; the order
        # within one batch does not change its gradient.
        batch = self.X[np.sort(rows)]
        if self.noise is None:
            return batch, batch
        return self._corrupt(batch, np.random.default_rng([self.seed, index, 1])), batch

    def _corrupt(self, batch, rng):
        if self.noise == "masking":
            return batch * (rng.random(batch.shape) >= self.noise_level).astype(
                batch.dtype
            )
        noisy = batch + rng.normal(0, self.noise_level, batch.shape).astype(batch.dtype)
        return np.clip(noisy, *self.clip)


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
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, stats):
        ops = keras.ops
        mean, log_var = ops.split(stats, 2, axis=-1)
        kl = -0.5 * ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
        self.add_loss(self.kl_scale * ops.mean(kl))
        epsilon = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * epsilon


def build_autoencoder(
    encoder, decoder, *, optimizer, learning_rate, kl_weight=None, seed=None
):
    """Chain encoder and decoder into one compiled model trained on MSE.

    With ``kl_weight``, the model is variational: a :class:`GaussianSampling`
    layer sits between encoder and decoder. The reconstruction loss is a mean
    over features, so the KL term is divided by the number of features to
    keep the usual balance of a sum of squared errors against the KL.
    """
    inputs = keras.Input(encoder.input_shape[1:])
    codes = encoder(inputs)
    if kl_weight is not None:
        n_features = int(np.prod(encoder.input_shape[1:]))
        codes = GaussianSampling(kl_weight / n_features, seed, name="sampling")(codes)
    model = keras.Model(inputs, decoder(codes), name="autoencoder")
    model.compile(
        optimizer=_OPTIMIZERS[optimizer](learning_rate=learning_rate),
        loss="mean_squared_error",
    )
    return model


def train(
    model,
    X_train,
    X_val,
    *,
    batch_size,
    epochs,
    learning_rate,
    learning_rate_schedule,
    early_stopping,
    patience,
    callbacks,
    verbose,
    seed,
    noise=None,
    noise_level=0.0,
):
    """Fit ``model`` to reconstruct ``X_train``; return the history as a dict.

    With ``learning_rate_schedule="cosine"``, epoch ``i`` (counted from 0 in
    this call) trains at ``learning_rate * (1 + cos(pi * i / epochs)) / 2``.
    With ``early_stopping``, training stops once the validation loss (the
    training loss when ``X_val`` is None) has not improved for ``patience``
    epochs, and the weights of the best epoch are restored.
    """
    # Every call starts at the set rate, even after a cosine fit ended near
    # zero or set_params changed it between partial_fit calls.
    model.optimizer.learning_rate = learning_rate
    callbacks = list(callbacks)  # never append to the user's list
    if learning_rate_schedule == "cosine":
        callbacks.append(
            keras.callbacks.LearningRateScheduler(
                lambda epoch: float(
                    learning_rate * (1 + np.cos(np.pi * epoch / epochs)) / 2
                )
            )
        )
    if early_stopping:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="loss" if X_val is None else "val_loss",
                patience=patience,
                restore_best_weights=True,
            )
        )
    clip = (float(X_train.min()), float(X_train.max())) if noise == "gaussian" else None
    batches = ShuffledBatches(X_train, batch_size, seed, noise, noise_level, clip)
    history = model.fit(
        batches,
        steps_per_epoch=batches.steps_per_epoch,
        shuffle=False,  # the batches shuffle themselves
        validation_data=None if X_val is None else (X_val, X_val),
        validation_batch_size=batch_size,
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
    )
    return {key: [float(v) for v in values] for key, values in history.history.items()}


def predict(model, X, batch_size):
    """Run ``model`` on ``X`` in batches, without Keras's progress output."""
    return np.asarray(model.predict(X, batch_size=batch_size, verbose=0))
