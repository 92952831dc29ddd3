"""skae._training on its own: the schedule, the stopping rule, batches, evaluation."""

import math
from types import SimpleNamespace

import keras
import numpy as np
import pytest

from skae import _training
from skae._training import ShuffledBatches, _BestEpoch, evaluate, warmup_cosine
from skae.exceptions import DivergenceError

# Run under every Keras backend (see .ci/run).
pytestmark = pytest.mark.core


# -- the learning rate ------------------------------------------------------------


def test_warmup_rises_linearly_then_a_cosine_falls_to_zero():
    rate = warmup_cosine(1.0, total_steps=110, warmup_steps=10)
    np.testing.assert_allclose([rate(s) for s in range(10)], np.arange(1, 11) / 10)
    assert rate(10) == 1.0  # the cosine starts at the full rate
    assert rate(60) == pytest.approx(0.5)  # half-way through the cosine
    assert rate(35) == pytest.approx((1 + math.cos(math.pi / 4)) / 2)
    assert rate(110) == pytest.approx(0) and rate(500) == pytest.approx(0)
    after = [rate(s) for s in range(10, 111)]
    assert all(np.diff(after) <= 0)


def test_the_plan_chooses_a_constant_rate_or_a_warmup_of_a_tenth():
    constant = SimpleNamespace(schedule="constant", learning_rate=0.01, epochs=5)
    rate = _training.learning_rates(constant, steps_per_epoch=4)
    assert {rate(step) for step in range(40)} == {0.01}
    # 20 steps: a warm-up of 2 (a tenth); 5,000 steps: of WARMUP_STEPS
    short = SimpleNamespace(schedule="cosine", learning_rate=1.0, epochs=5)
    rate = _training.learning_rates(short, steps_per_epoch=4)
    assert (rate(0), rate(1), rate(19)) == (0.5, 1.0, pytest.approx(0.0076, abs=1e-4))
    long = SimpleNamespace(schedule="cosine", learning_rate=1.0, epochs=50)
    rate = _training.learning_rates(long, steps_per_epoch=100)
    warmup = _training.WARMUP_STEPS
    assert rate(warmup - 2) < rate(warmup - 1) == 1.0 == rate(warmup)


# -- the stopping rule -------------------------------------------------------------


class _Weights:
    """A model whose weights are one number, to see which epoch was kept."""

    def __init__(self):
        self.value = 0

    def get_weights(self):
        return [self.value]

    def set_weights(self, weights):
        (self.value,) = weights


def _run_rule(losses, baseline=1.0, tol=0.1, patience=2):
    """The epochs the rule ran and the epoch it kept, for these losses."""
    model = _Weights()
    best = _BestEpoch(baseline, model.get_weights(), tol, patience)
    for epoch, loss in enumerate(losses, start=1):
        model.value = epoch  # the weights after this epoch
        best.update(epoch, loss, model)
        if best.stop:
            break
    plan = SimpleNamespace(verbose=0, epochs=len(losses))
    best.restore(model, epoch, plan)
    return epoch, best.epoch, model.value


def test_an_epoch_improves_only_by_more_than_tol():
    # 0.95 is within tol=0.1 of the start's 1.0: not an improvement
    assert _run_rule([0.95, 0.95], tol=0.1) == (2, 0, 0)
    assert _run_rule([0.95, 0.95], tol=0.01) == (2, 1, 1)
    # counted from the best loss, not the last: 0.7 improves on 0.8 by more
    # than tol, though not on 0.75
    assert _run_rule([0.8, 0.75, 0.7, 0.65], tol=0.1) == (4, 3, 3)


def test_training_stops_after_patience_epochs_without_improvement():
    losses = [0.5, 0.6, 0.7, 0.8, 0.3]
    assert _run_rule(losses, patience=3) == (4, 1, 1)  # 0.3 comes too late
    assert _run_rule(losses, patience=4) == (5, 5, 5)  # in time: kept, as trained
    assert _run_rule([0.5, 0.6, 0.4, 0.7, 0.8], patience=2) == (5, 3, 3)


def test_without_a_start_loss_any_trained_epoch_beats_the_start():
    # no validation split: the start has no training loss (an infinite baseline)
    assert _run_rule([5.0, 6.0, 7.0], baseline=math.inf) == (3, 1, 1)


# -- batches ----------------------------------------------------------------------


class _CountingReads:
    """An array that records how many rows each read takes."""

    def __init__(self, X):
        self.X, self.reads = X, []

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        rows = self.X[index]
        self.reads.append(len(rows))
        return rows


def test_batches_read_a_memory_map_batch_by_batch(tmp_path):
    X = np.random.default_rng(0).random((100, 3))
    np.save(tmp_path / "X.npy", X)
    memory_map = _CountingReads(np.load(tmp_path / "X.npy", mmap_mode="r"))
    rows = np.flatnonzero(np.arange(100) % 5)  # 80 training rows
    batches = ShuffledBatches(memory_map, 16, seed=0, rows=rows)
    assert batches.steps_per_epoch == 5
    epoch = [batches[i] for i in range(5)]
    assert memory_map.reads == [16] * 5  # one batch at a time, never all rows
    inputs = np.concatenate([inputs for inputs, _ in epoch])
    assert inputs.dtype == np.float32
    for batch_inputs, batch_targets in epoch:
        assert batch_inputs is batch_targets  # no noise: the targets themselves
    # each training row once an epoch, read as it is in the file
    expected = X[rows].astype(np.float32)
    np.testing.assert_array_equal(
        inputs[np.argsort(inputs[:, 0])], expected[np.argsort(expected[:, 0])]
    )
    # the next epoch: another order of the same rows
    again = np.concatenate([batches[i][0] for i in range(5, 10)])
    assert not np.array_equal(again, inputs)
    np.testing.assert_array_equal(np.sort(again, axis=0), np.sort(inputs, axis=0))


def test_the_order_of_batches_depends_on_the_seed_alone():
    X = np.arange(40.0).reshape(20, 2)
    first, second = ShuffledBatches(X, 4, seed=3), ShuffledBatches(X, 4, seed=3)
    for index in (7, 0, 12):  # read in any order
        np.testing.assert_array_equal(first[index][0], second[index][0])
    other = ShuffledBatches(X, 4, seed=4)
    assert any(not np.array_equal(first[i][0], other[i][0]) for i in range(5))


# -- evaluation --------------------------------------------------------------------


def _linear(n_in, n_out, kernel):
    inputs = keras.Input((n_in,))
    layer = keras.layers.Dense(n_out, use_bias=False)
    model = keras.Model(inputs, layer(inputs))
    layer.set_weights([kernel.astype(np.float32)])
    return model


@pytest.fixture(scope="module")
def linear_networks():
    rng = np.random.default_rng(0)
    encoder_kernel, decoder_kernel = rng.normal(size=(4, 4)), rng.normal(size=(2, 4))
    networks = SimpleNamespace(
        encoder=_linear(4, 4, encoder_kernel), decoder=_linear(2, 4, decoder_kernel)
    )
    return networks, encoder_kernel, decoder_kernel


def test_evaluate_is_the_mean_squared_error_of_decoded_means(
    linear_networks, monkeypatch
):
    monkeypatch.setattr(_training, "_EVALUATION_ROWS", 7)  # chunks of uneven size
    networks, encoder_kernel, decoder_kernel = linear_networks
    X = np.random.default_rng(1).random((30, 4)).astype(np.float32)
    # The encoder's 4 outputs are 2 means and 2 log-variances: only the
    # means are decoded.
    stats = X @ encoder_kernel
    means, log_var = stats[:, :2], stats[:, 2:]
    mse = np.mean((X - means @ decoder_kernel) ** 2)
    plain = SimpleNamespace(model=SimpleNamespace(z_dim=2), batch_size=8, kl_scale=None)
    assert evaluate(networks, X, plain) == pytest.approx(mse, rel=1e-5)
    # a variational model's loss adds kl_scale times the mean KL term
    kl = 0.5 * np.sum(np.exp(log_var) + means**2 - 1 - log_var, axis=1)
    variational = SimpleNamespace(model=plain.model, batch_size=8, kl_scale=0.1)
    assert evaluate(networks, X, variational) == pytest.approx(
        mse + 0.1 * kl.mean(), rel=1e-5
    )


def test_a_loss_that_is_not_finite_stops_training_with_advice():
    _training._check_finite(1.5, "batch 1 of epoch 1", 2e-3)  # finite: nothing
    for loss in (math.nan, math.inf):
        with pytest.raises(DivergenceError, match=r"batch 3 of epoch 2.*it was 0\.5"):
            _training._check_finite(loss, "batch 3 of epoch 2", 0.5)
