"""The training loop: batches, the learning-rate schedule, epochs, the stopping rule.

:func:`train` takes a fit's plan and networks and returns the fitted state;
every choice it follows was made by the plan.
"""

import contextlib
import math
import time
from dataclasses import replace

import keras
import numpy as np

from . import _fitted, _model
from ._hardware import keep_to_thread_budget
from ._model import device_count, kl_divergence, predict
from ._plan import principal_axes_of
from ._stats import pca_mean_squared_error, per_sample_squared_error
from .exceptions import DivergenceError

# TensorFlow takes a thread budget only before its runtime starts.
keep_to_thread_budget()

# Adam's first steps, with its moment estimates still empty, are the ones
# most likely to throw a PCA start away; a short linear warm-up tames them.
WARMUP_STEPS = 100
# Rows whose reconstructions are held at once by evaluate.
_EVALUATION_ROWS = 4096


def train(plan, networks, data, previous=None):
    """Train ``networks`` as ``plan`` says; return the fitted state.

    A partial_fit call that continues ``previous`` puts the weights and the
    optimizer's state back if it fails; a new fit's networks are only
    locals of the caller, so a failure leaves nothing to undo. A float
    ``z_dim`` with ``nested=False`` (``plan.then_plain``) chooses the size
    from nested codes, then fits a plain model of that size.
    """
    guard = contextlib.nullcontext()
    if previous is not None:
        guard = _restored_on_failure(networks.training_model)
    with guard, _model.new_model_traces():
        state = _train(plan, networks, data, previous)
        if plan.second_start is not None and state.best_epoch_ == 0:
            state = _better_start(plan, data, state)
    if not plan.then_plain:
        return state
    plain = plan.plain_refit(state.z_dim_)
    with _model.new_model_traces():
        refitted = _train(plain, _model.build(plain, data), data)
    # The plain codes are not nested: the ratios are those that chose z_dim_.
    return replace(refitted, explained_variance_ratio_=state.explained_variance_ratio_)


def _better_start(plan, data, pca_state):
    """The fit from the plan's second start, if it beats PCA on the validation
    split where training from the PCA start did not; else ``pca_state``.

    From PCA, a few hundred rows can pull the first epochs the wrong way
    for good; a random start reaches elsewhere. Both are judged on the same
    validation rows, against PCA of the training rows.
    """
    other = plan.from_second_start()
    if plan.verbose:
        print(f"trying a {other.model.start} start")
    state = _train(other, _model.build(other, data), data)
    better = False
    if state.best_epoch_:
        X = plan.model.model_input(data.X)
        pca_loss = pca_mean_squared_error(plan.pca, X, plan.val_rows)
        better = state.history_["val_loss"][state.best_epoch_ - 1] < pca_loss
    if plan.verbose:
        print(
            f"kept the {other.model.start} start's epoch {state.best_epoch_}: it beats PCA"
            if better
            else f"the {other.model.start} start does not beat PCA either: the model is PCA"
        )
    return state if better else pca_state


def _train(plan, networks, data, previous=None):
    """One model's training, and its fitted state.

    With a PCA start, training must beat PCA on the validation split: a
    model whose best epoch is its start stays PCA, and a nested model keeps
    PCA's first codes where its own prefixes do not beat PCA's
    (:func:`~skae._fitted.pca_prefixes`). A model that is PCA all through
    becomes PCA of all the data, the validation split included.
    """
    X = plan.model.model_input(data.X)
    history, best_epoch = _run(plan, networks, X)
    pca_codes = _pca_codes(plan, networks, X, best_epoch, previous)
    if pca_codes == plan.model.z_dim:
        everything = np.arange(data.n_samples)
        axes = principal_axes_of(plan.model, data.X, everything, plan.model.z_dim, plan.seed)
        _model.set_start(networks.encoder, networks.decoder, axes)
    state = _fitted.after_training(plan, networks, data, history, best_epoch, previous)
    return replace(state, n_pca_codes_=pca_codes)


def _pca_codes(plan, networks, X, best_epoch, previous):
    """How many first codes are PCA's, decoded as PCA does, after training.

    All of them when no epoch beat a PCA start; for a nested model, those
    that its prefixes need to decode no worse than PCA on the validation
    split; none after a partial_fit call, which has no validation split
    (its gate, if any, opens again).
    """
    if plan.model.start != "pca":
        return 0
    gated = "prefix_gate" in {layer.name for layer in networks.decoder.layers}
    if best_epoch == 0:
        return plan.model.z_dim  # the start: PCA already, gate or not
    if previous is None and len(plan.val_rows) and gated:
        return _fitted.pca_prefixes(plan, networks, X)
    if gated:
        _model.set_pca_codes(networks.encoder, networks.decoder, 0)
    return 0


def _run(plan, networks, X):
    """The epochs: return the history and the best epoch (None without early stopping).

    A loop of ``train_on_batch`` calls, driving Keras callbacks as ``fit``
    does: it costs no data pipeline per epoch (which on small data costs
    more than the training), sets the learning rate of every step, and
    checks every batch's loss. With early stopping, the validation loss
    (the training loss without a validation split) decides which epoch is
    best, counting the model before training as epoch 0, and the best
    weights are restored.
    """
    model = networks.training_model
    batches = ShuffledBatches(
        X,
        plan.batch_size,
        plan.seed_for("batches"),
        rows=plan.train_rows,
        corruption=plan.corruption,
        noise_seed=plan.seed_for("noise"),
        nesting=plan.nesting,
        prefix_seed=plan.seed_for("prefixes"),
    )
    steps = batches.steps_per_epoch
    rate = learning_rates(plan, steps)
    validation = _Validation(plan, networks, X)
    best = _BestEpoch.for_plan(plan, model, validation) if plan.early_stopping else None
    callbacks = _callbacks(plan, model, steps)
    history, logs = {}, {}
    model.stop_training = False
    callbacks.on_train_begin()
    for epoch in range(plan.epochs):
        loss = _run_epoch(networks, batches, epoch, rate, callbacks, plan.learning_rate)
        logs = {"loss": loss, **validation.logs(epoch)}
        logs["learning_rate"] = rate((epoch + 1) * steps - 1)
        for name, value in logs.items():
            history.setdefault(name, []).append(value)
        callbacks.on_epoch_end(epoch, dict(logs))
        if best is not None:
            best.update(epoch + 1, logs[validation.monitored], model)
            model.stop_training |= best.stop
        if model.stop_training:
            break
    callbacks.on_train_end(dict(logs))
    if best is None:
        return history, None
    best.restore(model, len(history["loss"]), plan)
    return history, best.epoch


def _run_epoch(networks, batches, epoch, rate, callbacks, learning_rate):
    """One pass over the batches; the epoch's mean loss, in the data's units."""
    model, steps = networks.training_model, batches.steps_per_epoch
    callbacks.on_epoch_begin(epoch)
    losses = []
    for step in range(steps):
        model.optimizer.learning_rate.assign(rate(epoch * steps + step))
        callbacks.on_train_batch_begin(step)
        batch = batches[epoch * steps + step]
        loss = float(model.train_on_batch(*batch)) / networks.loss_scale
        _check_finite(loss, f"batch {step + 1} of epoch {epoch + 1}", learning_rate)
        losses.append(loss)
        callbacks.on_train_batch_end(step, {"loss": loss})
        if model.stop_training:  # a callback asked, mid-epoch
            break
    return float(np.mean(losses))


def _callbacks(plan, model, steps):
    """The user's callbacks, then skae's epoch lines (verbose >= 1) and Keras's
    progress bar (verbose >= 2)."""
    callbacks = list(plan.callbacks)
    if plan.verbose:
        callbacks.append(EpochLines())
    return keras.callbacks.CallbackList(
        callbacks,
        add_progbar=plan.verbose >= 2,
        model=model,
        verbose=int(plan.verbose >= 2),
        epochs=plan.epochs,
        steps=steps,
    )


@contextlib.contextmanager
def _restored_on_failure(model):
    """Put ``model``'s weights and optimizer state back if the block fails."""
    weights = model.get_weights()
    optimizer_state = [np.array(v) for v in model.optimizer.variables]
    try:
        yield
    except BaseException:
        model.set_weights(weights)
        for variable, value in zip(model.optimizer.variables, optimizer_state):
            variable.assign(value)
        raise


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

    With a :class:`~skae._plan.Corruption`, the inputs (never the targets)
    are corrupted, afresh for every batch and again from ``noise_seed``
    alone: ``"gaussian"`` adds noise of standard deviation ``level`` and
    clips to ``clip`` (the range of the training data); ``"masking"`` zeroes
    a ``level`` share of the values.

    With a :class:`~skae._plan.Nesting`, each row gets a prefix size drawn
    from ``prefix_seed`` and the batch's index: the inputs are then
    ``(rows, masks)`` and a third item holds each row's loss weight.

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
        corruption=None,
        noise_seed=None,
        nesting=None,
        prefix_seed=None,
    ):
        self.X = X
        self.rows = np.arange(len(X)) if rows is None else rows
        devices = device_count()
        self.batch_size = max(devices, min(batch_size, len(self.rows)) // devices * devices)
        self.seed = seed
        self.corruption, self.noise_seed = corruption, noise_seed
        self.nesting, self.prefix_seed = nesting, prefix_seed
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
        inputs = batch
        if self.corruption is not None:
            inputs = self._corrupt(batch, np.random.default_rng([self.noise_seed, index]))
        if self.nesting is None:
            return inputs, batch
        rng = np.random.default_rng([self.prefix_seed, index])
        masks, weights = prefix_masks(self.nesting, len(batch), rng)
        return [inputs, masks], batch, weights

    def _corrupt(self, batch, rng):
        kind, level, clip = self.corruption.kind, self.corruption.level, self.corruption.clip
        if kind == "masking":
            return batch * (rng.random(batch.shape) >= level).astype(batch.dtype)
        noisy = batch + rng.normal(0, level, batch.shape).astype(batch.dtype)
        return np.clip(noisy, *clip)


def prefix_masks(nesting, n, rng):
    """The masks of ``n`` rows' prefixes, one per slot, drawn as ``nesting``
    says, ``(n, slots, width)``, and their loss weights ``(n, slots)``."""
    sizes = nesting.draw(n, rng)
    masks = (np.arange(nesting.width) < sizes[..., None]).astype(np.float32)
    return masks, nesting.weights[sizes - 1].astype(np.float32)


def learning_rates(plan, steps_per_epoch):
    """The rate of each step: constant, or a warm-up and then a cosine to zero.

    The warm-up takes the first ``WARMUP_STEPS`` steps (a tenth of short
    fits); the cosine ends at zero at the end of ``plan.epochs``.
    """
    if plan.schedule == "constant":
        return lambda step: plan.learning_rate
    total = plan.epochs * steps_per_epoch
    return warmup_cosine(plan.learning_rate, total, min(WARMUP_STEPS, total // 10))


def warmup_cosine(learning_rate, total_steps, warmup_steps):
    """The rate at each step: a linear warm-up, then half a cosine to zero."""

    def rate(step):
        if step < warmup_steps:
            return learning_rate * (step + 1) / warmup_steps
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return learning_rate * (1 + math.cos(math.pi * progress)) / 2

    return rate


class _Validation:
    """The validation loss of each epoch, or nothing without a validation split."""

    def __init__(self, plan, networks, X):
        self.plan, self.networks = plan, networks
        self.X, self.prefixes = None, None
        if len(plan.val_rows):
            self.X = np.asarray(X[plan.val_rows], dtype=np.float32)
            if plan.nesting is not None:  # one prefix per row, the same every epoch
                rng = np.random.default_rng(plan.seed_for("validation"))
                self.prefixes = prefix_masks(plan.nesting, len(self.X), rng)
        self.monitored = "loss" if self.X is None else "val_loss"

    def loss(self):
        """The validation loss now; infinite without a validation split."""
        if self.X is None:
            return math.inf
        return evaluate(self.networks, self.X, self.plan, self.prefixes)

    def logs(self, epoch):
        if self.X is None:
            return {}
        loss = self.loss()
        where = f"the validation of epoch {epoch + 1}"
        _check_finite(loss, where, self.plan.learning_rate)
        return {"val_loss": loss}


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

    @classmethod
    def for_plan(cls, plan, model, validation):
        # Without a validation split, the start has no training loss to
        # compare with: any trained epoch beats it.
        return cls(validation.loss(), model.get_weights(), plan.tol, plan.patience)

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

    def restore(self, model, n_epochs, plan):
        """Put the best epoch's weights back, and say why training stopped."""
        if self.epoch != n_epochs:
            model.set_weights(self.weights)
        if not plan.verbose:
            return
        if self.stop:
            why = f"no improvement for {self.patience} epochs"
        elif n_epochs == plan.epochs:
            why = "the epoch budget was used up"
        else:
            why = "a callback stopped training"
        kept = f"epoch {self.epoch}"
        if self.epoch == 0:
            kept = "the starting model"
            if plan.model.start == "pca" and len(plan.val_rows):
                kept = (
                    f"the PCA start: no epoch beat it on the {len(plan.val_rows)} "
                    "validation rows, so the model is PCA"
                )
        print(f"stopped after epoch {n_epochs} ({why}); kept {kept}")


class EpochLines(keras.callbacks.Callback):
    """Where training stands after each epoch: the losses, the epoch's seconds,
    the seconds so far.

    ``verbose=1`` adds one to a fit, a line per epoch. ``skae compare``
    gives each fit one with a ``label`` of its own and its own ``write``.
    ``every`` (seconds) keeps a log to a line every so often (the last
    epoch's always). With ``in_place``, ``write`` gets the line for a
    terminal to show in place of the one before (``"\r"``-led, no newline),
    and a newline at the end of training, so that one line per fit stays, as
    its summary. No line guesses the time left: early stopping may end a
    fit long before its epoch budget, and nothing can tell when.
    """

    def __init__(self, label="", write=print, every=0.0, in_place=False):
        super().__init__()
        self.label, self.write, self.every, self.in_place = label, write, every, in_place

    def on_train_begin(self, logs=None):
        self.durations, self.last_written, self.unwritten = [], -math.inf, None

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.durations.append(now - self.started)
        epochs = self.params["epochs"]
        line = (
            f"{self.label}epoch {epoch + 1}/{epochs}: {_losses(logs)} "
            f"({self.durations[-1]:.1f} s, {format_seconds(sum(self.durations))} so far)"
        )
        if self.in_place:
            # \x1b[K clears what a longer line before left on the terminal.
            self.write(f"\r{line}\x1b[K")
        elif now - self.last_written >= self.every or epoch + 1 == epochs:
            self.write(line)
            self.last_written, self.unwritten = now, None
        else:
            self.unwritten = line

    def on_train_end(self, logs=None):
        if not self.durations:
            return
        if self.in_place:  # the line that stays: what training did
            n, total = len(self.durations), format_seconds(sum(self.durations))
            self.write(f"\r{self.label}{n} epochs in {total}: {_losses(logs)}\x1b[K\n")
        elif self.unwritten is not None:  # training stopped early: its last epoch
            self.write(self.unwritten)


def _losses(logs):
    return ", ".join(
        f"{name} {value:.5g}" for name, value in (logs or {}).items() if name.endswith("loss")
    )


def format_seconds(seconds):
    """``"42 s"`` or ``"3 min 5 s"``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60} s"


def _check_finite(loss, where, learning_rate):
    if math.isfinite(loss):
        return
    raise DivergenceError(
        f"Training diverged: the loss became {loss} in {where}. Scale the "
        f"data (StandardScaler for features, pixels to [0, 1]) or lower "
        f"learning_rate (it was {learning_rate:g}). The estimator keeps the "
        "model it had before this fit."
    )


def evaluate(networks, X, plan, prefixes=None):
    """The loss on ``X`` as training counts it, from the codes' means.

    A variational model's codes are not sampled here: its validation loss
    decodes the means, plus the plan's ``kl_scale`` times the KL term, so
    that it does not change from one evaluation of the same model to the
    next. A nested model decodes each row from each of its prefixes,
    ``prefixes`` being the masks and weights of :func:`prefix_masks`.
    """
    z_dim, total = plan.model.z_dim, 0.0
    for first in range(0, len(X), _EVALUATION_ROWS):
        rows = slice(first, first + _EVALUATION_ROWS)
        part = X[rows]
        stats = predict(networks.encoder, part, plan.batch_size)
        means = stats[:, :z_dim]
        if prefixes is None:
            decoded = predict(networks.decoder, means, plan.batch_size)
            errors = per_sample_squared_error(part, decoded)
        else:
            errors = 0.0
            for masks, weights in zip(
                np.moveaxis(prefixes[0][rows], 1, 0), prefixes[1][rows].T
            ):
                decoded = predict(networks.decoder, (means, masks), plan.batch_size)
                errors = errors + weights * per_sample_squared_error(part, decoded)
        total += float(np.sum(errors))
        if plan.kl_scale is not None:
            kl = kl_divergence(means, stats[:, z_dim:])
            total += plan.kl_scale * float(np.sum(keras.ops.convert_to_numpy(kl)))
    return total / len(X)
