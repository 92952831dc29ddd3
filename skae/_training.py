"""The Keras side of fitting: batches, optimizer, callbacks, the training loop."""

import keras
import numpy as np

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
    """

    def __init__(self, X, batch_size, seed):
        super().__init__()
        self.X = X
        self.batch_size = batch_size
        self.seed = seed
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
        return batch, batch


def build_autoencoder(encoder, decoder, *, optimizer, learning_rate):
    """Chain encoder and decoder into one compiled model trained on MSE."""
    inputs = keras.Input(encoder.input_shape[1:])
    model = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
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
    early_stopping,
    patience,
    callbacks,
    verbose,
    seed,
):
    """Fit ``model`` to reconstruct ``X_train``; return the history as a dict.

    With ``early_stopping``, training stops once the validation loss (the
    training loss when ``X_val`` is None) has not improved for ``patience``
    epochs, and the weights of the best epoch are restored.
    """
    callbacks = list(callbacks)  # never append to the user's list
    if early_stopping:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="loss" if X_val is None else "val_loss",
                patience=patience,
                restore_best_weights=True,
            )
        )
    batches = ShuffledBatches(X_train, batch_size, seed)
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
