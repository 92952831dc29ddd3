"""Denoising, sampling and the variational option, on small data."""

import keras
import numpy as np
import pytest
from sklearn.base import clone

from skae import AutoencoderTransformer
from skae._plan import Corruption, make_plan
from skae._stats import draw_near
from skae._training import ShuffledBatches

# Run under every Keras backend (see .ci/run).
pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def X(digits):
    return digits[0][:400]


# -- denoising -----------------------------------------------------------------


@pytest.mark.parametrize("noise", ["gaussian", "masking"])
def test_training_batches_corrupt_inputs_not_targets(X, noise):
    X = X.astype(np.float32)
    corruption = Corruption(noise, 0.3, (0, 1))
    corrupting = ShuffledBatches(X, 50, seed=0, corruption=corruption, noise_seed=7)
    inputs, targets = corrupting[3]
    clean, _ = ShuffledBatches(X, 50, seed=0)[3]
    np.testing.assert_array_equal(targets, clean)
    assert not np.array_equal(inputs, targets)
    assert inputs.min() >= 0 and inputs.max() <= 1
    if noise == "masking":
        zeroed = (inputs == 0) & (targets != 0)
        assert 0.2 < zeroed.sum() / (targets != 0).sum() < 0.4
    else:
        assert np.std(inputs - targets) == pytest.approx(0.22, abs=0.05)  # clipped 0.3
    again, _ = ShuffledBatches(X, 50, seed=0, corruption=corruption, noise_seed=7)[3]
    np.testing.assert_array_equal(inputs, again)  # seeded, per batch
    other, _ = ShuffledBatches(X, 50, seed=0, corruption=corruption, noise_seed=8)[3]
    assert not np.array_equal(inputs, other)  # the noise has a stream of its own


def test_every_epoch_reshuffles_full_batches(X):
    batches = ShuffledBatches(X.astype(np.float32), 64, seed=0)
    assert batches.steps_per_epoch == 6  # 400 // 64: the last 16 rows wait
    first = np.concatenate([batches[i][0] for i in range(6)])
    second = np.concatenate([batches[i][0] for i in range(6, 12)])
    assert first.shape == (384, 64)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("noise", ["gaussian", "masking"])
def test_noise_only_in_fit(X, noise):
    dae = AutoencoderTransformer(
        z_dim=4, epochs=3, noise=noise, noise_level=0.5, random_state=0
    ).fit(X)
    # transform and inverse_transform are the networks' own outputs on the
    # clean rows: no noise, seeded or not, on the way
    rows = X.astype(np.float32)
    Z = dae.transform(X)
    np.testing.assert_allclose(
        Z, keras.ops.convert_to_numpy(dae.encoder_(rows)), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        dae.inverse_transform(Z),
        keras.ops.convert_to_numpy(dae.decoder_(Z)),
        rtol=1e-5,
        atol=1e-6,
    )
    plain = AutoencoderTransformer(z_dim=4, epochs=3, random_state=0).fit(X)
    assert not np.allclose(Z, plain.transform(X))  # noise trained


def test_denoising_beats_plain_on_noisy_inputs(digits):
    X = digits[0][:1000]  # with fewer, both models underfit alike
    rng = np.random.default_rng(0)
    noisy = np.clip(X + rng.normal(0, 0.5, X.shape), 0, 1)
    params = {"z_dim": 8, "epochs": 40, "random_state": 0}
    dae = AutoencoderTransformer(noise="gaussian", noise_level=0.5, **params).fit(X)
    plain = AutoencoderTransformer(**params).fit(X)

    def error_against_clean(model):
        return np.mean((model.inverse_transform(model.transform(noisy)) - X) ** 2)

    # measured: 0.030 against 0.049
    assert error_against_clean(dae) < 0.75 * error_against_clean(plain)


def test_masking_level_must_be_a_share():
    with pytest.raises(ValueError, match="noise_level below 1"):
        AutoencoderTransformer(noise="masking", noise_level=1.0).fit(
            np.random.rand(10, 4)
        )


# -- sampling --------------------------------------------------------------------


@pytest.mark.parametrize("variational", [False, True])
def test_sample_shapes_ranges_and_reproducibility(X, variational):
    ae = AutoencoderTransformer(
        z_dim=2, epochs=3, variational=variational, random_state=0
    ).fit(X)
    samples = ae.sample(25, random_state=0)
    assert samples.shape == (25, 64) and samples.dtype == np.float32
    assert samples.min() >= 0 and samples.max() <= 1  # clipped to the pixels
    np.testing.assert_array_equal(samples, ae.sample(25, random_state=0))
    assert not np.array_equal(samples, ae.sample(25, random_state=1))
    rng = np.random.RandomState(3)
    assert not np.array_equal(
        ae.sample(5, random_state=rng), ae.sample(5, random_state=rng)
    )


def test_variational_samples_decode_draws_from_the_prior(X):
    vae = AutoencoderTransformer(
        z_dim=2, epochs=3, variational=True, random_state=0
    ).fit(X)
    prior = np.random.RandomState(4).standard_normal((6, 2)).astype(np.float32)
    np.testing.assert_array_equal(
        vae.sample(6, random_state=4), vae.inverse_transform(prior)
    )


def test_plain_samples_decode_codes_drawn_around_the_training_codes(X):
    ae = AutoencoderTransformer(z_dim=2, epochs=3, random_state=0).fit(X)
    codes = ae.training_codes_
    assert codes.shape == (300, 2)  # every training row (400 less 100): fewer than 2,000
    train_rows = make_plan(ae.get_params(), ae._validate(X)).train_rows
    np.testing.assert_allclose(codes, ae.transform(X[train_rows]), rtol=1e-5, atol=1e-6)
    drawn = draw_near(codes, 20_000, np.random.RandomState(0))
    # A kernel density: the codes' mean, and their covariance widened by the
    # bandwidth (Scott's factor n ** (-1 / (d + 4)), squared).
    bandwidth = len(codes) ** (-1 / 6)
    np.testing.assert_allclose(
        drawn.mean(axis=0), codes.mean(axis=0), atol=0.05 * codes.std()
    )
    np.testing.assert_allclose(
        np.cov(drawn, rowvar=False),
        np.cov(codes, rowvar=False) * (1 + bandwidth**2),
        rtol=0.05,
        atol=0.02 * codes.var(),
    )
    # sample() decodes exactly such draws
    expected = ae.inverse_transform(
        draw_near(codes, 6, np.random.RandomState(4)).astype(np.float32)
    )
    np.testing.assert_array_equal(ae.sample(6, random_state=4), expected)


def test_sampling_survives_codes_collapsed_onto_a_line():
    on_a_line = np.outer(np.linspace(-1, 1, 50), [1.0, 2.0, -1.0])
    drawn = draw_near(on_a_line, 500, np.random.RandomState(0))
    # every draw stays on the line through the codes
    direction = np.array([1.0, 2.0, -1.0]) / np.sqrt(6)
    off_line = drawn - np.outer(drawn @ direction, direction)
    np.testing.assert_allclose(off_line, 0, atol=1e-6)  # spread along it: ~0.3
    single = draw_near(np.ones((1, 2)), 3, np.random.RandomState(0))
    np.testing.assert_array_equal(single, np.ones((3, 2)))


def test_variational_model_codes_and_prior(X):
    vae = AutoencoderTransformer(
        z_dim=2, epochs=20, variational=True, random_state=0
    ).fit(X)
    assert vae.training_codes_ is None
    assert vae.encoder_.output_shape == (None, 4)  # means and log-variances
    Z = vae.transform(X)
    assert Z.shape == (400, 2)
    np.testing.assert_array_equal(Z, vae.transform(X))  # the means: no sampling
    assert vae.history_["loss"][-1] < vae.history_["loss"][0]
    same = clone(vae).fit(X)
    np.testing.assert_array_equal(same.transform(X), Z)


def test_the_kl_weight_pulls_codes_to_the_prior(X):
    """A heavier KL term gives codes closer to the standard normal."""

    def kl_from_prior(kl_weight):
        # Every epoch kept: early stopping's validation loss has a KL term of
        # its own, which would keep the start when the weight is heavy.
        vae = AutoencoderTransformer(
            z_dim=2,
            epochs=30,
            variational=True,
            kl_weight=kl_weight,
            early_stopping=False,
            random_state=0,
        ).fit(X)
        stats = vae.encoder_.predict(X, verbose=0)
        mean, log_var = stats[:, :2], stats[:, 2:]
        return np.mean(np.sum(np.exp(log_var) + mean**2 - 1 - log_var, axis=1) / 2)

    # measured 0.0034 against 8.7 (without the KL term in training: 31 both)
    light, heavy = kl_from_prior(0.01), kl_from_prior(10.0)
    assert heavy < 0.01 * light, (light, heavy)


def test_the_sampling_layer_draws_around_the_means(X):
    vae = AutoencoderTransformer(
        z_dim=2, epochs=5, variational=True, random_state=0
    ).fit(X)
    sampling = vae._training_model.get_layer("sampling")
    stats = vae.encoder_.predict(X[:50], verbose=0)
    draws = np.stack([np.asarray(sampling(stats)) for _ in range(200)])
    mean, std = stats[:, :2], np.exp(0.5 * stats[:, 2:])
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=0.3 * std.max())
    np.testing.assert_allclose(draws.std(axis=0), std, rtol=0.2)


def test_bad_sample_count(X):
    ae = AutoencoderTransformer(z_dim=2, epochs=1, random_state=0).fit(X[:100])
    with pytest.raises(ValueError, match="n_samples"):
        ae.sample(0)
