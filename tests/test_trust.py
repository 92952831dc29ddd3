"""Trust: fits that fail lose nothing, divergence is caught, safe saving, bounded memory."""

import dataclasses
import pickle

import joblib
import keras
import numpy as np
import pytest
import skops.io as sio
from _fresh import run_fresh
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.validation import check_is_fitted

from skae import AutoencoderTransformer, _fitted, _plan
from skae.exceptions import DivergenceError

# Run under every Keras backend (see .ci/run).
pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def X(digits32):
    return digits32[:300]


def _snapshot(estimator, X):
    """Everything a fitted estimator holds, and what a user observes of it."""
    held = vars(estimator)
    attributes = {
        field.name: held.get(field.name, "absent")
        for field in dataclasses.fields(_fitted.FittedState)
    }
    return {
        "attributes": {
            k: (v if not isinstance(v, np.ndarray) else v.copy())
            for k, v in attributes.items()
        },
        "ids": {k: id(v) for k, v in attributes.items()},
        "codes": estimator.transform(X),
        "weights": [w.copy() for w in estimator.encoder_.get_weights()],
    }


def _assert_unchanged(before, estimator, X):
    after = _snapshot(estimator, X)
    assert after["ids"] == before["ids"]  # the very same objects
    np.testing.assert_array_equal(after["codes"], before["codes"])
    for w_after, w_before in zip(after["weights"], before["weights"]):
        np.testing.assert_array_equal(w_after, w_before)
    for key, value in before["attributes"].items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after["attributes"][key], value)
        elif isinstance(value, (dict, list, tuple, int, float, str, type(None))):
            assert after["attributes"][key] == value, key


class _FailAt(keras.callbacks.Callback):
    """Raises ``error`` at the end of the given epoch's second batch."""

    def __init__(self, error, epoch=1):
        super().__init__()
        self.error, self.epoch, self.current = error, epoch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == 1:
            raise self.error


FAULTS = {
    "exception": RuntimeError("a callback failed"),
    "ctrl-c": KeyboardInterrupt(),
    "out of memory": MemoryError(),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_failed_refit_keeps_the_earlier_model(small_fit, X, fault):
    model = clone(small_fit[0]).fit(X)
    before = _snapshot(model, X)
    error = FAULTS[fault]
    model.set_params(z_dim=5, epochs=4, callbacks=[_FailAt(error)])
    with pytest.raises(type(error)):
        model.fit(X)
    _assert_unchanged(before, model, X)


@pytest.mark.parametrize("fault", FAULTS)
def test_failed_first_fit_leaves_the_estimator_unfitted(X, fault):
    error = FAULTS[fault]
    model = AutoencoderTransformer(
        z_dim=2, epochs=3, callbacks=[_FailAt(error, epoch=0)], random_state=0
    )
    with pytest.raises(type(error)):
        model.fit(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    assert not any(key.endswith("_") for key in vars(model))


def test_failure_after_training_keeps_the_earlier_model(small_fit, X, monkeypatch):
    model = clone(small_fit[0]).fit(X)
    before = _snapshot(model, X)

    def fail(*args, **kwargs):
        raise RuntimeError("failed after training")

    monkeypatch.setattr(_fitted, "training_codes", fail)
    with pytest.raises(RuntimeError, match="after training"):
        model.fit(X * 0.5)
    _assert_unchanged(before, model, X)


def test_a_non_callback_in_callbacks_is_refused_before_training(small_fit, X):
    model = clone(small_fit[0]).fit(X)
    before = _snapshot(model, X)
    with pytest.raises(TypeError, match="callbacks must hold keras.callbacks.Callback"):
        model.set_params(callbacks=["checkpoint.keras"]).fit(X)
    _assert_unchanged(before, model, X)


def test_failed_partial_fit_keeps_weights_optimizer_and_history(X):
    model = AutoencoderTransformer(z_dim=2, batch_size=32, random_state=0)
    model.partial_fit(X[:150])
    before = _snapshot(model, X)
    optimizer = model._training_model.optimizer
    state = [np.array(v) for v in optimizer.variables]
    model.set_params(callbacks=[_FailAt(KeyboardInterrupt(), epoch=0)])
    with pytest.raises(KeyboardInterrupt):
        model.partial_fit(X[150:])
    _assert_unchanged(before, model, X)
    for variable, value in zip(optimizer.variables, state):
        np.testing.assert_array_equal(np.array(variable), value)
    assert model.n_iter_ == 1


# -- divergence ---------------------------------------------------------------------


@pytest.mark.parametrize("variational", [False, True])
def test_divergence_is_caught_and_the_earlier_model_kept(small_fit, X, variational):
    model = clone(small_fit[0]).set_params(variational=variational).fit(X)
    before = _snapshot(model, X)
    model.set_params(optimizer="sgd", learning_rate=1e12, epochs=3)
    with pytest.raises(DivergenceError, match=r"diverged.*epoch 1.*learning_rate"):
        model.fit(X)
    _assert_unchanged(before, model, X)
    assert issubclass(DivergenceError, FloatingPointError)


def test_data_beyond_float32_loss_range_is_refused(X):
    with pytest.raises(ValueError, match="would overflow.*Scale the data"):
        AutoencoderTransformer(epochs=1).fit(X * 1e17)


@pytest.mark.parametrize(
    "params, scale, message",
    [
        ({}, 1e17, "would overflow.*Scale the data"),
        ({"noise": "masking", "noise_level": 1.0}, 1.0, "noise_level below 1"),
    ],
)
def test_partial_fit_refuses_what_fit_refuses_and_keeps_the_model(
    small_fit, X, params, scale, message
):
    model = clone(small_fit[0]).fit(X)
    before = _snapshot(model, X)
    model.set_params(**params)
    with pytest.raises(ValueError, match=message) as from_fit:
        clone(model).fit(X * scale)
    with pytest.raises(ValueError, match=message) as from_partial_fit:
        model.partial_fit(X * scale)
    assert str(from_partial_fit.value) == str(from_fit.value)
    _assert_unchanged(before, model, X)


# -- after fit, fitted attributes decide -----------------------------------------------

CHANGED_PARAMETERS = {
    "z_dim": 5,
    "variational": True,
    "batch_size": 7,
    "image_shape": (8, 8),
    "architecture": "conv",
    "init": "random",
    "output_activation": "linear",
    "compute_dtype": "bfloat16",
    "random_state": 3,
    "noise": "gaussian",
}


def test_set_params_after_fit_changes_nothing_until_the_next_fit(small_fit, X):
    model = clone(small_fit[0]).fit(X)
    Z = model.transform(X)
    expected = {
        "transform": Z,
        "inverse_transform": model.inverse_transform(Z),
        "score_samples": model.score_samples(X),
        "sample": model.sample(5, random_state=0),
        "names": model.get_feature_names_out(),
    }
    model.set_params(**CHANGED_PARAMETERS)
    Z_after = model.transform(X)
    np.testing.assert_array_equal(Z_after, expected["transform"])
    np.testing.assert_array_equal(
        model.inverse_transform(Z_after), expected["inverse_transform"]
    )
    np.testing.assert_array_equal(model.score_samples(X), expected["score_samples"])
    np.testing.assert_array_equal(model.sample(5, random_state=0), expected["sample"])
    np.testing.assert_array_equal(model.get_feature_names_out(), expected["names"])


def test_numpy_scalars_are_accepted_everywhere(X):
    model = AutoencoderTransformer(
        z_dim=np.int64(3),
        epochs=np.int32(2),
        batch_size=np.int64(32),
        patience=np.int16(2),
        learning_rate=np.float32(2e-3),
        validation_fraction=np.float64(0.2),
        tol=np.float32(1e-3),
        noise_level=np.float32(0.1),
        kl_weight=np.float64(1.0),
        random_state=np.int64(0),
    ).fit(X)
    assert model.transform(X).shape == (300, 3)
    search = GridSearchCV(
        AutoencoderTransformer(epochs=2, random_state=0),
        {"z_dim": np.arange(2, 4), "learning_rate": np.linspace(1e-3, 3e-3, 2)},
        cv=2,
        error_score="raise",
    ).fit(X)
    assert search.best_estimator_.transform(X).shape[1] == search.best_params_["z_dim"]


def test_every_purpose_draws_from_its_own_seed_stream():
    for seed in (0, 1, 12345):
        seeds = [
            _plan.derive_seed(seed, stream, *counters)
            for stream in _plan.SEED_STREAMS
            for counters in [(), (0,), (1,), (2,)]
        ]
        assert len(set(seeds)) == len(seeds)


# -- saving -----------------------------------------------------------------------------


@pytest.mark.parametrize("in_pipeline", [False, True])
def test_skops_saves_and_loads_in_a_fresh_process(small_fit, X, tmp_path, in_pipeline):
    model = clone(small_fit[0]).set_params(image_shape=(8, 8)).fit(X)
    saved = make_pipeline(MinMaxScaler(), model).fit(X) if in_pipeline else model
    path, data = tmp_path / "model.skops", tmp_path / "X.npy"
    sio.dump(saved, path)
    np.save(data, X)
    assert sio.get_untrusted_types(file=path) == ["skae.AutoencoderTransformer"]
    codes = run_fresh(
        "test_trust", "transform_with_saved_model", path=str(path), X=str(data)
    )
    np.testing.assert_array_equal(np.asarray(codes, np.float32), saved.transform(X))


def transform_with_saved_model(path, X):
    """The codes of the rows in the .npy file ``X`` by the model saved with
    skops at ``path``, trusting the types it names; run in a fresh
    interpreter (under a backend of its own), as a user's next session."""
    model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    return model.transform(np.load(X)).tolist()


def _lambda_architecture(input_shape, z_dim):
    inputs = keras.Input(input_shape)
    halved = keras.layers.Lambda(lambda x: x * 0.5)(inputs)
    encoder = keras.Model(inputs, keras.layers.Dense(z_dim)(halved))
    codes = keras.Input((z_dim,))
    decoder = keras.Model(codes, keras.layers.Dense(input_shape[0])(codes))
    return encoder, decoder


def test_loading_runs_no_code_from_the_file_unless_trusted(X, tmp_path):
    model = AutoencoderTransformer(
        z_dim=2, epochs=1, architecture=_lambda_architecture, random_state=0
    ).fit(X)
    # skops: the Lambda layer's Python code is refused (Keras's safe mode).
    path = tmp_path / "lambda.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert f"{_lambda_architecture.__module__}._lambda_architecture" in untrusted
    with pytest.raises(ValueError, match="Lambda"):
        sio.load(path, trusted=untrusted)
    # pickle runs code on load anyway: it loads as saved.
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.transform(X), model.transform(X))


def test_pickle_and_joblib_give_identical_results(small_fit, X, tmp_path):
    fitted, _ = small_fit
    joblib.dump(fitted, tmp_path / "ae.joblib")
    restored = joblib.load(tmp_path / "ae.joblib")
    np.testing.assert_array_equal(restored.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(
        restored.sample(4, random_state=0), fitted.sample(4, random_state=0)
    )
    assert not hasattr(restored, "_training_model")  # rebuilt by partial_fit
    assert restored.encoder_.name == "encoder"
