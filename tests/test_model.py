"""skae._model on its own: the PCA start, batched prediction, saving, the losses."""

import keras
import numpy as np
import pytest
from sklearn.decomposition import PCA

from skae import _model
from skae._stats import principal_axes
from skae.architectures import dense_autoencoder

# Run under every Keras backend (see .ci/run).
pytestmark = pytest.mark.core


def _recipe(**changes):
    return {
        "builder": "dense",
        "input_shape": (6,),
        "z_dim": 3,
        "variational": False,
        "nested": False,
        "start": "pca",
        "output": "linear",
        "seed": 0,
        "dtype": "float32",
        **changes,
    }


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(60, 6)) @ rng.normal(size=(6, 6)) * 2 + 1).astype(
        np.float32
    )


def _started_at_pca(X, recipe):
    encoder, decoder = _model.from_recipe(recipe)
    axes = principal_axes(
        X.reshape(len(X), -1),
        np.arange(len(X)),
        recipe["z_dim"],
        max_covariance_features=4096,
        seed=0,
    )
    _model.set_pca(encoder, decoder, axes.mean, axes.scale, axes.components)
    return encoder, decoder, axes


def test_a_pca_start_codes_and_reconstructs_as_pca(X):
    encoder, decoder, axes = _started_at_pca(X, _recipe())
    pca = PCA(3).fit(X)
    codes = _model.predict(encoder, X, 16)
    reconstructed = _model.predict(decoder, codes, 16)
    np.testing.assert_allclose(
        reconstructed, pca.inverse_transform(pca.transform(X)), atol=2e-5
    )
    # the codes are PCA's divided by the data's one overall scale (each
    # axis signed as principal_axes signs it)
    signs = np.sign(np.sum(codes * pca.transform(X), axis=0))
    np.testing.assert_allclose(codes * signs * axes.scale, pca.transform(X), atol=2e-5)


def test_a_pca_start_of_images_reconstructs_as_pca(X):
    images = X.reshape(-1, 2, 3, 1)
    recipe = _recipe(builder="conv", input_shape=(2, 3, 1), output="clip")
    encoder, decoder, _ = _started_at_pca(images, recipe)
    pca = PCA(3).fit(X)
    reconstructed = _model.predict(decoder, _model.predict(encoder, images, 16), 16)
    expected = np.clip(pca.inverse_transform(pca.transform(X)), 0, 1)
    np.testing.assert_allclose(reconstructed.reshape(len(X), -1), expected, atol=2e-5)


def _randomise(*models):
    rng = np.random.default_rng(1)
    for model in models:
        model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])


@pytest.mark.parametrize("kind", ["built-in", "custom"])
def test_a_saved_state_rebuilds_the_same_networks(X, kind):
    if kind == "built-in":
        recipe = _recipe()
        encoder, decoder = _model.from_recipe(recipe)
    else:  # described by its Keras config, not a recipe
        recipe = None
        encoder, decoder = dense_autoencoder((6,), 3, hidden_units=(5,), seed=0)
    # trained weights: not those a seeded rebuild starts with
    _randomise(encoder, decoder)
    state = _model.to_state(encoder, decoder, recipe)
    encoder_again, decoder_again = _model.from_state(state, recipe)
    codes = _model.predict(encoder, X, 16)
    np.testing.assert_array_equal(_model.predict(encoder_again, X, 16), codes)
    np.testing.assert_array_equal(
        _model.predict(decoder_again, codes, 16), _model.predict(decoder, codes, 16)
    )


class _Recorder:
    """A model of three outputs, the sum of its inputs, that records each batch."""

    output_shape = (None, 3)

    def __init__(self):
        self.batches = []

    def predict_on_batch(self, batch):
        inputs = batch if isinstance(batch, list) else [batch]
        self.batches.append([(x.shape, x.dtype) for x in inputs])
        return sum(inputs)


def test_predict_pads_the_last_batch_to_the_full_size():
    X = np.arange(30.0).reshape(10, 3)
    model = _Recorder()
    out = _model.predict(model, X, 4)
    # three batches of 4 rows, the last padded: one shape to compile for
    assert model.batches == [[((4, 3), np.float32)]] * 3
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, X)  # the padding's rows dropped
    # a model of several inputs takes a tuple of arrays of equal length
    two = _Recorder()
    np.testing.assert_array_equal(_model.predict(two, (X, X), 8), 2 * X)
    assert two.batches == [[((8, 3), np.float32)] * 2] * 2


def test_kl_divergence_is_the_closed_form_for_gaussians():
    rng = np.random.default_rng(0)
    mean, log_var = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    kl = keras.ops.convert_to_numpy(_model.kl_divergence(mean, log_var))
    # KL(N(m, s^2) || N(0, 1)) = (s^2 + m^2 - 1 - log s^2) / 2, summed over codes
    expected = 0.5 * np.sum(np.exp(log_var) + mean**2 - 1 - log_var, axis=1)
    np.testing.assert_allclose(kl, expected, rtol=1e-6)
    zero = _model.kl_divergence(np.zeros((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(zero), 0)


def test_the_loss_is_the_mean_squared_error_times_its_scale():
    y_true, y_pred = np.zeros((4, 2)), np.array([[1.0, 3.0]] * 4)
    loss = _model.ScaledMeanSquaredError(0.5)(y_true, y_pred)
    assert float(keras.ops.convert_to_numpy(loss)) == pytest.approx(0.5 * 5)


def test_predictions_are_clipped_but_training_outputs_are_not():
    clip = _model.ClipAtPrediction(0.0, 1.0)
    x = np.array([[-0.5, 0.5, 1.5]], dtype=np.float32)
    trained = keras.ops.convert_to_numpy(clip(x, training=True))
    predicted = keras.ops.convert_to_numpy(clip(x))
    np.testing.assert_array_equal(trained, x)
    np.testing.assert_array_equal(predicted, [[0.0, 0.5, 1.0]])


def test_a_prefix_of_codes_is_padded_and_masked():
    padded, mask = _model.prefix_inputs(np.array([[1.0, 2.0], [3.0, 4.0]]), 4)
    np.testing.assert_array_equal(padded, [[1, 2, 0, 0], [3, 4, 0, 0]])
    np.testing.assert_array_equal(mask, [[1, 1, 0, 0], [1, 1, 0, 0]])
