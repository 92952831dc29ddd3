"""Behaviour of AutoencoderTransformer: quality, contract, reproducibility."""

import os
import pickle
import subprocess
import sys
import textwrap

import joblib
import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skae import AutoencoderTransformer
from skae.architectures import dense_autoencoder
from skae.metrics import reconstruction_error


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


@pytest.fixture(scope="module")
def digits_split(digits):
    X, _ = digits
    return train_test_split(X, test_size=0.3, random_state=0)


@pytest.fixture(scope="module")
def small_fit(digits):
    """A quickly fitted model on 300 digits, shared by the contract tests."""
    X = digits[0][:300]
    return AutoencoderTransformer(z_dim=3, epochs=3, random_state=0).fit(X), X


# -- quality against PCA (the acceptance figures of issue 2) -----------------


@pytest.mark.parametrize("image_shape", [None, (8, 8)])
def test_beats_pca_on_held_out_digits(digits_split, image_shape):
    X_train, X_test = digits_split
    ae = AutoencoderTransformer(
        z_dim=10, epochs=60, image_shape=image_shape, random_state=0
    ).fit(X_train)
    pca_error = reconstruction_error(PCA(10).fit(X_train), X_test)
    ae_error = reconstruction_error(ae, X_test)
    assert ae.architecture_ == ("dense" if image_shape is None else "conv")
    assert ae.output_activation_ == "sigmoid"
    assert ae_error < pca_error, (ae_error, pca_error)


def test_classifier_pipeline_accuracy_close_to_pca(digits):
    X, y = load_digits(return_X_y=True)

    def accuracy(reducer):
        pipe = Pipeline(
            [
                ("scale", MinMaxScaler()),
                ("reduce", reducer),
                ("clf", LogisticRegression(max_iter=1000)),
            ]
        )
        return cross_val_score(pipe, X, y, cv=3).mean()

    ae_accuracy = accuracy(AutoencoderTransformer(z_dim=10, epochs=40, random_state=0))
    assert ae_accuracy >= accuracy(PCA(10)) - 0.05


def test_grid_search_without_scoring_ranks_by_reconstruction(digits):
    X = digits[0][:400]
    search = GridSearchCV(
        AutoencoderTransformer(epochs=15, random_state=0),
        {"z_dim": [1, 12]},
        cv=2,
    ).fit(X)
    assert search.best_params_ == {"z_dim": 12}
    scores = search.cv_results_["mean_test_score"]
    assert np.all(scores < 0)  # minus a mean squared error
    assert search.best_estimator_.transform(X).shape == (400, 12)


def test_grid_search_in_classifier_pipeline_uses_accuracy(digits):
    X, y = digits[0][:400], digits[1][:400]
    pipe = Pipeline(
        [
            ("ae", AutoencoderTransformer(epochs=10, random_state=0)),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    search = GridSearchCV(pipe, {"ae__z_dim": [1, 8]}, cv=2).fit(X, y)
    assert search.best_params_ == {"ae__z_dim": 8}
    assert 0 < search.best_score_ <= 1


# -- the transformer contract --------------------------------------------------


def test_shapes_dtypes_and_fitted_attributes(small_fit):
    ae, X = small_fit
    Z = ae.transform(X)
    assert Z.shape == (300, 3) and Z.dtype == np.float32
    X_back = ae.inverse_transform(Z)
    assert X_back.shape == X.shape and X_back.dtype == np.float32
    assert ae.n_features_in_ == 64
    assert ae.image_shape_ is None and ae.input_shape_ == (64,)
    assert ae.n_iter_ == 3
    assert type(ae.history_) is dict
    assert set(ae.history_) == {"loss", "val_loss", "learning_rate"}
    assert all(type(v) is float for v in ae.history_["loss"])
    assert len(ae.history_["val_loss"]) == ae.n_iter_
    # The default cosine schedule, over epochs=3: 1, 3/4, 1/4 of the rate.
    np.testing.assert_allclose(
        ae.history_["learning_rate"], [2e-3, 1.5e-3, 0.5e-3], rtol=1e-6
    )
    assert isinstance(ae.encoder_, keras.Model)
    assert isinstance(ae.decoder_, keras.Model)


def test_score_is_minus_mean_of_per_sample_errors(small_fit):
    ae, X = small_fit
    per_sample = ae.score_samples(X)
    X_back = ae.inverse_transform(ae.transform(X))
    expected = -np.mean((X - X_back) ** 2, axis=1)
    np.testing.assert_allclose(per_sample, expected, rtol=1e-5)
    assert ae.score(X) == pytest.approx(per_sample.mean())
    assert ae.score(X) == pytest.approx(-reconstruction_error(ae, X))


def test_image_stacks_are_accepted_and_reconstructed_flat(digits):
    images = digits[0][:200].reshape(-1, 8, 8)
    ae = AutoencoderTransformer(z_dim=4, epochs=2, random_state=0).fit(images)
    assert ae.image_shape_ == (8, 8, 1)
    assert ae.architecture_ == "conv"
    assert ae.n_features_in_ == 64
    Z = ae.transform(images[..., np.newaxis])  # (n, H, W, C) too
    np.testing.assert_allclose(Z, ae.transform(images.reshape(200, 64)), rtol=1e-6)
    assert ae.inverse_transform(Z).shape == (200, 64)


def test_colour_images_with_odd_size():
    X = np.random.RandomState(0).rand(40, 5, 7, 3)
    ae = AutoencoderTransformer(z_dim=2, epochs=1, random_state=0).fit(X)
    assert ae.image_shape_ == (5, 7, 3)
    assert ae.inverse_transform(ae.transform(X)).shape == (40, 105)


def test_standardised_data_is_reconstructed_with_a_linear_output():
    rng = np.random.RandomState(0)
    latent = rng.normal(size=(500, 2))
    X = StandardScaler().fit_transform(latent @ rng.normal(size=(2, 6)) * 5)
    ae = AutoencoderTransformer(z_dim=2, epochs=60, random_state=0).fit(X)
    assert ae.output_activation_ == "linear"
    X_back = ae.inverse_transform(ae.transform(X))
    assert X_back.min() < -1 and X_back.max() > 1  # a sigmoid could not
    assert reconstruction_error(ae, X) < 0.1  # the variance is 1


def test_set_output_pandas_and_feature_names(small_fit):
    ae, X = small_fit
    names = [f"pixel{i}" for i in range(64)]
    frame = pd.DataFrame(X, columns=names)
    fitted = clone(ae).set_output(transform="pandas").fit(frame)
    Z = fitted.transform(frame)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == [
        "autoencodertransformer0",
        "autoencodertransformer1",
        "autoencodertransformer2",
    ]
    assert list(fitted.feature_names_in_) == names
    assert fitted.inverse_transform(Z).shape == (300, 64)


def test_same_random_state_same_codes_and_different_seeds_differ(small_fit):
    ae, X = small_fit
    again = clone(ae).fit(X)
    np.testing.assert_array_equal(ae.transform(X), again.transform(X))
    other = clone(ae).set_params(random_state=1).fit(X)
    assert not np.allclose(ae.transform(X), other.transform(X))


def _run_in_fresh_python(code):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    return result.stdout


def test_codes_are_reproducible_in_a_fresh_process(small_fit, tmp_path):
    ae, X = small_fit
    np.save(tmp_path / "X.npy", X)
    _run_in_fresh_python(
        f"""
        import random, numpy as np
        random.seed(12345)  # other code drawing from the global RNGs
        np.random.seed(6789)
        from skae import AutoencoderTransformer
        X = np.load({str(tmp_path / "X.npy")!r})
        ae = AutoencoderTransformer(z_dim=3, epochs=3, random_state=0).fit(X)
        np.save({str(tmp_path / "Z.npy")!r}, ae.transform(X))
        """
    )
    np.testing.assert_array_equal(np.load(tmp_path / "Z.npy"), ae.transform(X))


def test_pickle_transforms_identically_in_a_fresh_process(small_fit, tmp_path):
    ae, X = small_fit
    joblib.dump(ae, tmp_path / "ae.joblib")
    np.save(tmp_path / "X.npy", X)
    _run_in_fresh_python(
        f"""
        import joblib, numpy as np
        ae = joblib.load({str(tmp_path / "ae.joblib")!r})
        X = np.load({str(tmp_path / "X.npy")!r})
        np.save({str(tmp_path / "Z.npy")!r}, ae.transform(X))
        """
    )
    np.testing.assert_array_equal(np.load(tmp_path / "Z.npy"), ae.transform(X))
    restored = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(restored.transform(X), ae.transform(X))
    np.testing.assert_array_equal(
        restored.inverse_transform(ae.transform(X)),
        ae.inverse_transform(ae.transform(X)),
    )


def test_clone_is_unfitted_with_equal_params(small_fit):
    ae, _ = small_fit
    copy = clone(ae)
    assert copy.get_params() == ae.get_params()
    assert not hasattr(copy, "encoder_")


# -- training controls ---------------------------------------------------------


class _WeightsPerEpoch(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_early_stopping_restores_the_best_epoch(digits):
    X = digits[0][:300]
    recorder = _WeightsPerEpoch()
    user_callbacks = [recorder]
    ae = AutoencoderTransformer(
        z_dim=2,
        epochs=30,
        patience=2,
        learning_rate=0.05,
        callbacks=user_callbacks,
        random_state=0,
    ).fit(X)
    assert user_callbacks == [recorder]  # the user's list is left alone
    assert ae.n_iter_ < 30  # the large learning rate stalls, so it stopped
    val_loss = ae.history_["val_loss"]
    best = int(np.argmin(val_loss))
    assert best < ae.n_iter_ - 1  # a later epoch was worse...
    best_weights = recorder.weights[best]
    final_weights = ae.encoder_.get_weights() + ae.decoder_.get_weights()
    for best_w, final_w in zip(best_weights, final_weights):
        np.testing.assert_array_equal(best_w, final_w)  # ...and was undone


def test_without_validation_or_early_stopping_all_epochs_run(digits):
    X = digits[0][:100]
    ae = AutoencoderTransformer(
        z_dim=2,
        epochs=4,
        validation_fraction=0,
        early_stopping=False,
        random_state=0,
    ).fit(X)
    assert ae.n_iter_ == 4 and set(ae.history_) == {"loss", "learning_rate"}


def test_model_checkpoint_is_passed_through(digits, tmp_path):
    path = tmp_path / "best.keras"
    checkpoint = keras.callbacks.ModelCheckpoint(path, save_best_only=True)
    AutoencoderTransformer(
        z_dim=2, epochs=2, callbacks=[checkpoint], random_state=0
    ).fit(digits[0][:100])
    assert path.exists()


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd"])
def test_optimizers_train(digits, optimizer):
    ae = AutoencoderTransformer(
        z_dim=2, epochs=3, optimizer=optimizer, random_state=0
    ).fit(digits[0][:200])
    assert ae.history_["loss"][-1] < ae.history_["loss"][0]


def test_verbose_zero_prints_nothing(digits, capsys):
    AutoencoderTransformer(z_dim=2, epochs=2, random_state=0).fit(digits[0][:100])
    assert capsys.readouterr().out == ""


def test_verbose_one_shows_keras_progress(digits, capsys):
    AutoencoderTransformer(z_dim=2, epochs=2, verbose=1, random_state=0).fit(
        digits[0][:100]
    )
    assert "Epoch 2/2" in capsys.readouterr().out


# -- architectures ---------------------------------------------------------------


def test_custom_architecture_callable(digits):
    calls = []

    def small_mlp(input_shape, z_dim):
        calls.append((input_shape, z_dim))
        return dense_autoencoder(input_shape, z_dim, hidden_units=(16,), seed=0)

    ae = AutoencoderTransformer(
        z_dim=3, architecture=small_mlp, epochs=2, random_state=0
    ).fit(digits[0][:100])
    assert calls == [((64,), 3)]
    assert ae.architecture_ == "custom" and ae.output_activation_ is None
    assert len(ae.encoder_.layers) == 3  # input, Dense(16), Dense(3)


def test_tutorial_preset_matches_the_reference_layers():
    X = np.random.RandomState(0).rand(20, 28, 28)
    ae = AutoencoderTransformer(
        z_dim=10, architecture="tutorial", epochs=1, random_state=0
    ).fit(X)
    conv_layers = [layer for layer in ae.encoder_.layers if "conv" in layer.name]
    assert [layer.filters for layer in conv_layers] == [8, 8, 8, 8]
    assert [layer.strides for layer in conv_layers] == [(2, 2), (1, 1), (2, 2), (1, 1)]
    assert ae.encoder_.layers[-1].units == 10
    decoder_kinds = [type(layer).__name__ for layer in ae.decoder_.layers[1:]]
    assert decoder_kinds == [
        "Dense",
        "Reshape",
        "Conv2D",
        "UpSampling2D",
        "Conv2D",
        "UpSampling2D",
        "Conv2D",
    ]
    assert ae.decoder_.layers[1].units == 7 * 7 * 64
    assert ae.decoder_.layers[-1].activation.__name__ == "sigmoid"
    # 80 + 3 * 584 + 3930 encoder weights; 34496 + 36928 + 18464 + 289 decoder
    assert ae.encoder_.count_params() == 5_762
    assert ae.decoder_.count_params() == 90_177


# -- bad input: our own errors, raised before any state changes --------------------

BAD_INPUTS = {
    "nan": (np.full((10, 4), np.nan), ValueError, "NaN"),
    "inf": (np.full((10, 4), np.inf), ValueError, "infinity"),
    "strings": (np.array([["a", "b"]] * 10), ValueError, "numeric"),
    "empty": (np.empty((0, 4)), ValueError, "0 sample"),
    "one_d": (np.arange(10.0), ValueError, "Expected 2D array"),
    "five_d": (np.zeros((2, 2, 2, 2, 2)), ValueError, "5 dimensions"),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_to_fit(name):
    X, error, message = BAD_INPUTS[name]
    with pytest.raises(error, match=message):
        AutoencoderTransformer(epochs=1).fit(X)


def test_sparse_input_is_refused_clearly():
    from scipy import sparse

    with pytest.raises(TypeError, match="dense data is required"):
        AutoencoderTransformer(epochs=1).fit(sparse.random(10, 4, format="csr"))


@pytest.mark.parametrize(
    "params, message",
    [
        ({"z_dim": -1}, "z_dim"),
        ({"z_dim": 2.5}, "z_dim"),
        ({"epochs": 0}, "epochs"),
        ({"architecture": "transformer"}, "architecture"),
        ({"optimizer": "lion"}, "optimizer"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"image_shape": (4, 0)}, "image_shape"),
        ({"image_shape": (2, 3, 4, 5)}, "image_shape"),
    ],
)
def test_invalid_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        AutoencoderTransformer(**{"epochs": 1, **params}).fit(np.random.rand(20, 24))


def test_image_shape_must_match_the_features():
    with pytest.raises(ValueError, match=r"holds 16 values per image, but X has 64"):
        AutoencoderTransformer(image_shape=(4, 4)).fit(np.random.rand(10, 64))
    with pytest.raises(ValueError, match="does not match the images"):
        AutoencoderTransformer(image_shape=(4, 4)).fit(np.random.rand(10, 8, 8))


def test_conv_needs_an_image_shape():
    with pytest.raises(ValueError, match="needs images"):
        AutoencoderTransformer(architecture="conv").fit(np.random.rand(10, 64))


def test_tutorial_needs_multiples_of_four():
    with pytest.raises(ValueError, match="multiples of 4"):
        AutoencoderTransformer(architecture="tutorial").fit(np.random.rand(10, 6, 6))


def test_custom_architecture_must_return_matching_models():
    def wrong_code_size(input_shape, z_dim):
        return dense_autoencoder(input_shape, z_dim + 1)

    with pytest.raises(ValueError, match="encoder output shape"):
        AutoencoderTransformer(architecture=wrong_code_size).fit(np.random.rand(10, 4))
    with pytest.raises(TypeError, match="two keras.Model"):
        AutoencoderTransformer(architecture=lambda s, z: (None, None)).fit(
            np.random.rand(10, 4)
        )


def test_too_few_samples_for_validation():
    with pytest.raises(ValueError, match="n_samples=1"):
        AutoencoderTransformer().fit(np.random.rand(1, 4))


def test_use_before_fit():
    from sklearn.exceptions import NotFittedError

    ae = AutoencoderTransformer()
    for method in (ae.transform, ae.inverse_transform, ae.score, ae.score_samples):
        with pytest.raises(NotFittedError):
            method(np.random.rand(3, 4))


def test_wrong_widths_after_fit(small_fit):
    ae, _ = small_fit
    with pytest.raises(
        ValueError, match="X has 10 features, but AutoencoderTransformer"
    ):
        ae.transform(np.random.rand(5, 10))
    with pytest.raises(ValueError, match="z_dim=3 columns, got an array with 5"):
        ae.inverse_transform(np.random.rand(5, 5))
    with pytest.raises(ValueError, match="images of shape"):
        ae.transform(np.random.rand(5, 8, 8))


def test_refused_fit_keeps_the_earlier_model(small_fit):
    ae, X = small_fit
    fitted = clone(ae).fit(X)
    codes = fitted.transform(X)
    encoder = fitted.encoder_
    for bad in (np.random.rand(10, 7, 7), np.full((10, 64), np.nan)):
        with pytest.raises(ValueError):
            fitted.set_params(image_shape=(4, 4)).fit(bad)
        with pytest.raises(ValueError):
            fitted.set_params(image_shape=None, architecture="tutorial").fit(bad)
    fitted.set_params(architecture="auto")
    assert fitted.encoder_ is encoder and fitted.n_features_in_ == 64
    np.testing.assert_array_equal(fitted.transform(X), codes)
