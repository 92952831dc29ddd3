"""Denoising, sampling and the variational option, on small data."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.mixture import GaussianMixture

from skae import AutoencoderTransformer
from skae._training import ShuffledBatches


@pytest.fixture(scope="module")
def X():
    return load_digits().data[:400] / 16


# -- denoising -----------------------------------------------------------------


@pytest.mark.parametrize("noise", ["gaussian", "masking"])
def test_training_batches_corrupt_inputs_not_targets(X, noise):
    X = X.astype(np.float32)
    batches = ShuffledBatches(X, 50, seed=0, noise=noise, noise_level=0.3, clip=(0, 1))
    inputs, targets = batches[3]
    clean, _ = ShuffledBatches(X, 50, seed=0)[3]
    np.testing.assert_array_equal(targets, clean)
    assert not np.array_equal(inputs, targets)
    assert inputs.min() >= 0 and inputs.max() <= 1
    if noise == "masking":
        zeroed = (inputs == 0) & (targets != 0)
        assert 0.2 < zeroed.sum() / (targets != 0).sum() < 0.4
    else:
        assert np.std(inputs - targets) == pytest.approx(0.22, abs=0.05)  # clipped 0.3
    again, _ = ShuffledBatches(
        X, 50, seed=0, noise=noise, noise_level=0.3, clip=(0, 1)
    )[3]
    np.testing.assert_array_equal(inputs, again)  # seeded, per batch


def test_noise_only_in_fit(X):
    dae = AutoencoderTransformer(
        z_dim=4, epochs=3, noise="gaussian", noise_level=0.5, random_state=0
    ).fit(X)
    np.testing.assert_array_equal(dae.transform(X), dae.transform(X))
    Z = dae.transform(X)
    np.testing.assert_array_equal(dae.inverse_transform(Z), dae.inverse_transform(Z))
    plain = AutoencoderTransformer(z_dim=4, epochs=3, random_state=0).fit(X)
    assert not np.allclose(
        dae.transform(X), plain.transform(X)
    )  # noise changed training


def test_denoising_beats_plain_on_noisy_inputs():
    X = load_digits().data[:1000] / 16  # with fewer, both models underfit alike
    rng = np.random.default_rng(0)
    noisy = np.clip(X + rng.normal(0, 0.5, X.shape), 0, 1)
    params = {"z_dim": 8, "epochs": 60, "random_state": 0}
    dae = AutoencoderTransformer(noise="gaussian", noise_level=0.5, **params).fit(X)
    plain = AutoencoderTransformer(**params).fit(X)

    def error_against_clean(model):
        return np.mean((model.inverse_transform(model.transform(noisy)) - X) ** 2)

    assert error_against_clean(dae) < error_against_clean(plain)


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
    assert samples.min() >= 0 and samples.max() <= 1  # sigmoid output
    np.testing.assert_array_equal(samples, ae.sample(25, random_state=0))
    assert not np.array_equal(samples, ae.sample(25, random_state=1))
    rng = np.random.RandomState(3)
    assert not np.array_equal(
        ae.sample(5, random_state=rng), ae.sample(5, random_state=rng)
    )


def test_plain_samples_come_from_a_density_of_the_training_codes(X):
    ae = AutoencoderTransformer(z_dim=2, epochs=3, random_state=0).fit(X)
    assert isinstance(ae.latent_density_, GaussianMixture)
    assert ae.latent_density_.n_components == 7  # 360 training codes // 50
    codes = ae.transform(X)
    # codes of the samples' sources lie where the training codes lie
    drawn = ae.latent_density_.means_
    assert np.all(drawn.min(axis=0) >= codes.min(axis=0))
    assert np.all(drawn.max(axis=0) <= codes.max(axis=0))


def test_variational_model_codes_and_prior(X):
    vae = AutoencoderTransformer(
        z_dim=2, epochs=20, variational=True, random_state=0
    ).fit(X)
    assert vae.latent_density_ is None
    assert vae.encoder_.output_shape == (None, 4)  # means and log-variances
    Z = vae.transform(X)
    assert Z.shape == (400, 2)
    np.testing.assert_array_equal(Z, vae.transform(X))  # the means: no sampling
    # the KL term keeps the codes near the standard normal prior
    assert np.all(np.abs(Z.mean(axis=0)) < 1) and np.all(Z.std(axis=0) < 2)
    assert vae.history_["loss"][-1] < vae.history_["loss"][0]
    same = clone(vae).fit(X)
    np.testing.assert_array_equal(same.transform(X), Z)


def test_bad_sample_count(X):
    ae = AutoencoderTransformer(z_dim=2, epochs=1, random_state=0).fit(X[:100])
    with pytest.raises(ValueError, match="n_samples"):
        ae.sample(0)
