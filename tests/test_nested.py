"""Nested codes: one fit, every latent size, as PCA's components give."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer
from skae._model import prefix_inputs
from skae._plan import make_plan
from skae.metrics import reconstruction_error, reconstruction_error_curve


@pytest.fixture(scope="module")
def split(digits):
    return train_test_split(digits[0], test_size=0.3, random_state=0)


@pytest.fixture(scope="module")
def nested(split):
    X_train, _ = split
    return AutoencoderTransformer(z_dim=10, nested=True, random_state=0).fit(X_train)


def prefix_error(model, X, k):
    """Test MSE of the first k codes: decoded as a prefix, or (plain codes)
    with the codes after k set to zero."""
    Z = model.transform(X)
    if model.explained_variance_ratio_ is not None:
        return reconstruction_error_of(model.inverse_transform(Z[:, :k]), X)
    Z[:, k:] = 0
    return reconstruction_error_of(model.inverse_transform(Z), X)


def reconstruction_error_of(X_back, X):
    return float(np.mean((np.asarray(X_back) - X) ** 2))


def test_every_prefix_is_a_code_of_its_own(split, nested):
    X_train, X_test = split
    plain = AutoencoderTransformer(z_dim=10, random_state=0).fit(X_train)
    for k in (1, 2, 3, 5, 8, 10):
        nested_error = prefix_error(nested, X_test, k)
        pca_error = reconstruction_error(PCA(k).fit(X_train), X_test)
        # measured 0.984x PCA's error at k=1, 0.53x to 0.84x from k=2 on
        bound = 1.0 if k == 1 else 0.9
        assert nested_error < bound * pca_error, (k, nested_error, pca_error)
        if k in (3, 5):
            # a plain fit's prefixes are about PCA's (its start): measured
            # 1.34x and 1.55x the nested ones' error
            assert prefix_error(plain, X_test, k) > 1.2 * nested_error, k


@pytest.mark.core
def test_explained_variance_ratio_is_measured_on_the_validation_split(split, nested):
    X_train, _ = split
    plan = make_plan(nested.get_params(), nested._validate(X_train))
    held_out = X_train[plan.val_rows]
    mean = X_train[plan.train_rows].mean(axis=0)
    Z = nested.transform(held_out)
    total = np.sum((held_out - mean) ** 2)
    shares = [
        1 - np.sum((held_out - nested.inverse_transform(Z[:, :k])) ** 2) / total
        for k in range(1, 11)
    ]
    assert nested.explained_variance_ratio_.shape == (10,)
    np.testing.assert_allclose(np.cumsum(nested.explained_variance_ratio_), shares, rtol=1e-5)
    assert np.all(np.diff(shares) > 0)  # each code adds to what the others explain


@pytest.mark.core
def test_a_prefix_is_decoded_with_the_codes_after_it_masked(split, nested):
    _, X_test = split
    Z = nested.transform(X_test)
    k = 3
    decoded = nested.inverse_transform(Z[:, :k])
    assert decoded.shape == X_test.shape
    scrambled = Z.copy()
    scrambled[:, k:] = np.random.default_rng(0).normal(size=(len(Z), 10 - k)) * 5
    _, mask = prefix_inputs(Z[:, :k], 10)
    by_hand = nested.decoder_.predict([scrambled, mask], verbose=0).reshape(decoded.shape)
    np.testing.assert_allclose(decoded, by_hand, atol=1e-6)
    # the decoder is told which codes are there: zeros as codes decode otherwise
    padded, _ = prefix_inputs(Z[:, :k], 10)
    as_codes = nested.decoder_.predict([padded, np.ones_like(mask)], verbose=0)
    assert not np.allclose(decoded, as_codes.reshape(decoded.shape), atol=1e-3)


@pytest.mark.core
def test_inverse_transform_takes_any_prefix_of_nested_codes_only(split, nested):
    X_train, X_test = split
    Z = nested.transform(X_test)
    with pytest.raises(ValueError, match="first k <= z_dim_=10"):
        nested.inverse_transform(np.hstack([Z, Z[:, :1]]))
    plain = AutoencoderTransformer(z_dim=4, epochs=2, random_state=0).fit(X_train)
    assert plain.explained_variance_ratio_ is None
    with pytest.raises(ValueError, match="fit with nested=True"):
        plain.inverse_transform(plain.transform(X_test)[:, :2])


@pytest.mark.parametrize("nested_codes", [True, False])
def test_a_float_z_dim_keeps_fewer_codes_than_pca(split, nested_codes):
    X_train, X_test = split
    ae = AutoencoderTransformer(z_dim=0.9, nested=nested_codes, random_state=0)
    ae.fit(X_train)
    pca = PCA(0.9).fit(X_train)
    assert ae.z_dim_ < pca.n_components_
    shares = np.cumsum(ae.explained_variance_ratio_)
    assert shares[-1] >= 0.9 > shares[-2]  # the fewest codes that reach 0.9
    Z = ae.transform(X_test)
    assert Z.shape == (len(X_test), ae.z_dim_)
    # the held-out data's variance, explained nearly as much
    held_out = 1 - reconstruction_error(ae, X_test) / X_test.var(axis=0).sum() * 64
    assert held_out >= 0.88
    # nested=False then fits a plain model of that size: one decoder input
    assert len(ae.decoder_.inputs) == (2 if nested_codes else 1)


@pytest.mark.core
def test_nested_codes_of_images(split):
    X_train, X_test = split
    images = X_train.reshape(-1, 8, 8)
    ae = AutoencoderTransformer(z_dim=4, nested=True, epochs=2, random_state=0)
    ae.fit(images)
    assert ae.architecture_ == "conv"
    curve = reconstruction_error_curve(ae, X_test.reshape(-1, 8, 8))
    assert curve.shape == (4,) and np.all(np.diff(curve) < 0)


@pytest.mark.core
def test_nested_codes_with_pandas_output_and_feature_names(split):
    X_train, _ = split
    frame = pd.DataFrame(X_train, columns=[f"pixel{i}" for i in range(64)])
    ae = AutoencoderTransformer(z_dim=3, nested=True, epochs=2, random_state=0)
    Z = ae.set_output(transform="pandas").fit(frame).transform(frame)
    assert list(Z.columns) == [f"autoencodertransformer{i}" for i in range(3)]
    assert ae.inverse_transform(Z.iloc[:, :2]).shape == frame.shape


@pytest.mark.core
def test_a_saved_nested_model_decodes_prefixes_as_before(split, tmp_path):
    import skops.io as sio
    X_train, X_test = split
    ae = AutoencoderTransformer(z_dim=4, nested=True, epochs=2, random_state=0)
    ae.fit(X_train)
    sio.dump(ae, tmp_path / "nested.skops")
    loaded = sio.load(
        tmp_path / "nested.skops", trusted=["skae.AutoencoderTransformer"]
    )
    Z = ae.transform(X_test)
    np.testing.assert_array_equal(loaded.transform(X_test), Z)
    np.testing.assert_array_equal(
        loaded.inverse_transform(Z[:, :2]), ae.inverse_transform(Z[:, :2])
    )
    np.testing.assert_array_equal(
        loaded.explained_variance_ratio_, ae.explained_variance_ratio_
    )


@pytest.mark.core
def test_partial_fit_trains_nested_codes_on(split):
    X_train, _ = split
    ae = AutoencoderTransformer(z_dim=4, nested=True, random_state=0)
    ae.partial_fit(X_train[:600]).partial_fit(X_train[600:])
    assert ae.n_iter_ == 2 and ae.z_dim_ == 4
    assert ae.explained_variance_ratio_.shape == (4,)
    assert ae.inverse_transform(ae.transform(X_train)[:, :1]).shape == X_train.shape


@pytest.mark.core
def test_denoising_nested_codes(split):
    X_train, X_test = split
    ae = AutoencoderTransformer(
        z_dim=4, nested=True, noise="masking", noise_level=0.2, epochs=3, random_state=0
    ).fit(X_train)
    np.testing.assert_array_equal(ae.transform(X_test), ae.transform(X_test))
    assert np.cumsum(ae.explained_variance_ratio_)[-1] > 0


@pytest.mark.core
def test_variational_nested_codes_are_refused_before_any_state_changes(split):
    X_train, _ = split
    fitted = AutoencoderTransformer(z_dim=2, epochs=1, random_state=0).fit(X_train)
    encoder = fitted.encoder_
    for params in ({"nested": True}, {"z_dim": 0.9}):
        with pytest.raises(ValueError, match="variational=True cannot train nested"):
            clone(fitted).set_params(variational=True, **params).fit(X_train)
        with pytest.raises(ValueError, match="variational=True cannot train nested"):
            fitted.set_params(variational=True, **params).fit(X_train)
        fitted.set_params(variational=False, nested=False, z_dim=2)
    assert fitted.encoder_ is encoder
