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
    if hasattr(model, "explained_variance_ratio_"):
        return reconstruction_error_of(model.inverse_transform(Z[:, :k]), X)
    Z[:, k:] = 0
    return reconstruction_error_of(model.inverse_transform(Z), X)


def reconstruction_error_of(X_back, X):
    return float(np.mean((np.asarray(X_back) - X) ** 2))


@pytest.fixture(scope="module")
def plain(split):
    X_train, _ = split
    return AutoencoderTransformer(z_dim=10, random_state=0).fit(X_train)


def test_every_prefix_is_a_code_of_its_own(split, nested, plain):
    X_train, X_test = split
    for k in (1, 2, 3, 5, 8, 10):
        nested_error = prefix_error(nested, X_test, k)
        pca_error = reconstruction_error(PCA(k).fit(X_train), X_test)
        # measured 1.004x PCA's error at k=1, where the first code fell back
        # to PCA's (of the training rows but the validation split's), 0.91x
        # at k=2 and 0.51x to 0.82x from k=3 on
        bound = {1: 1.01, 2: 0.95}.get(k, 0.9)
        assert nested_error < bound * pca_error, (k, nested_error, pca_error)
        if k in (3, 5):
            # a plain fit's prefixes are about PCA's (its start): measured
            # 1.24x and 1.43x the nested ones' error
            assert prefix_error(plain, X_test, k) > 1.2 * nested_error, k
    assert nested.n_pca_codes_ == 1


def test_the_whole_code_is_trained_in_every_step(split, nested, plain):
    from skae._plan import Nesting

    nesting = Nesting.with_weights(np.ones(10))
    sizes = nesting.draw(1000, np.random.default_rng(0))
    assert (sizes[:, 0] == 10).all() and set(sizes[:, 1]) == set(range(1, 11))
    # The whole code is then nearly a plain fit's: measured 1.087x its test
    # error (1.206x when both of a row's prefixes are drawn at random).
    _, X_test = split
    ratio = prefix_error(nested, X_test, 10) / reconstruction_error(plain, X_test)
    assert ratio < 1.15


def pca_of(plan, X, k):
    """PCA(k) of the plan's training rows: what a nested model's prefix is
    measured against."""
    return PCA(k).fit(X[plan.train_rows])


@pytest.mark.core
def test_a_prefix_that_does_not_beat_pca_decodes_as_pca(split, nested):
    X_train, X_test = split
    # On the digits the first code alone did not beat PCA's first component
    # on the validation split: it is PCA's, and decodes as PCA(1) does.
    assert nested.n_pca_codes_ == 1
    plan = make_plan(nested.get_params(), nested._validate(X_train))
    pca = pca_of(plan, X_train, 1)
    Z = nested.transform(X_test)
    np.testing.assert_allclose(
        nested.inverse_transform(Z[:, :1]),
        np.clip(pca.inverse_transform(pca.transform(X_test)), 0, 1),  # pixels: clipped
        atol=2e-5,
    )
    # the longer prefixes decode their own way, better than PCA
    pca_2 = pca_of(plan, X_train, 2)
    assert reconstruction_error_of(nested.inverse_transform(Z[:, :2]), X_test) < (
        0.95 * reconstruction_error(pca_2, X_test)
    )


@pytest.mark.core
def test_no_prefix_is_worse_than_pca_on_the_validation_split():
    """On linear data training finds nothing beyond PCA at any size: every
    prefix, on the validation split, is PCA's of its size."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5)) @ rng.normal(size=(5, 12)) + 0.3 * rng.normal(size=(600, 12))
    ae = AutoencoderTransformer(z_dim=6, nested=True, epochs=40, random_state=0).fit(X)
    plan = make_plan(ae.get_params(), ae._validate(X))
    held_out = X[plan.val_rows]
    Z = ae.transform(held_out)
    for k in range(1, 7):
        error = reconstruction_error_of(ae.inverse_transform(Z[:, :k]), held_out)
        assert error <= reconstruction_error(pca_of(plan, X, k), held_out) * (1 + 1e-5), k
    assert ae.n_pca_codes_ == 6


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
    with pytest.raises(AttributeError, match="nested codes only"):
        plain.explained_variance_ratio_  # noqa: B018
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
    assert list(Z.columns) == ["z1", "z2", "z3"]
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
