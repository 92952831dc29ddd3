"""What a PCA user types works: PCA's limits, names and sizes, in our words."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV

from skae import AutoencoderTransformer
from skae._plan import DEFAULT_OPTIONS, make_plan
from skae.architectures import conv_autoencoder, dense_autoencoder


@pytest.mark.core
@pytest.mark.parametrize(
    "shape, z_dim, bound",
    [
        ((50, 4), 6, r"min\(n_samples, n_features\)=4"),
        ((3, 20), 5, r"min\(n_samples, n_features\)=3"),
    ],
)
def test_a_code_longer_than_the_data_is_refused_as_pca_refuses_it(shape, z_dim, bound):
    X = np.random.default_rng(0).random(shape)
    with pytest.raises(ValueError, match=f"n_components={z_dim} must be between"):
        PCA(z_dim).fit(X)
    with pytest.raises(ValueError, match=rf"z_dim={z_dim} must be between 1 and {bound}"):
        AutoencoderTransformer(z_dim, epochs=1).fit(X)
    # as long as the data, as PCA allows it
    full = min(shape)
    assert AutoencoderTransformer(full, epochs=1).fit(X).z_dim_ == full


def test_a_denoising_autoencoder_may_have_more_codes_than_features():
    X = np.random.default_rng(0).random((60, 4))
    ae = AutoencoderTransformer(6, noise="gaussian", epochs=1, random_state=0).fit(X)
    assert ae.transform(X).shape == (60, 6)


@pytest.mark.core
def test_pcas_fitted_names(digits):
    X = digits[0][:300]
    plain = AutoencoderTransformer(3, epochs=2, random_state=0).fit(X)
    assert plain.n_components_ == plain.z_dim_ == 3
    assert plain.init_ == "pca"  # init="auto", and training beat the start
    assert list(plain.get_feature_names_out()) == ["z1", "z2", "z3"]
    with pytest.raises(AttributeError, match="nested codes only"):
        plain.explained_variance_ratio_  # noqa: B018
    assert not hasattr(plain, "explained_variance_ratio_")
    nested = AutoencoderTransformer(3, nested=True, epochs=2, random_state=0).fit(X)
    assert nested.explained_variance_ratio_.shape == (3,)
    # a refit as a plain model drops the nested fit's shares
    nested.set_params(nested=False).fit(X)
    assert not hasattr(nested, "explained_variance_ratio_")


def test_the_codes_have_one_name_in_pandas_output(digits):
    X = digits[0][:300]
    ae = AutoencoderTransformer(2, epochs=2, random_state=0).set_output(transform="pandas")
    assert list(ae.fit_transform(X).columns) == ["z1", "z2"]


@pytest.mark.core
def test_init_pca_is_refused_where_it_cannot_be_honoured(digits):
    X = digits[0][:100]

    def custom(input_shape, z_dim):
        return dense_autoencoder(input_shape, z_dim, hidden_units=(8,), seed=0)

    with pytest.raises(ValueError, match="init='pca' needs a built-in 'dense' or 'conv'"):
        AutoencoderTransformer(2, architecture=custom, init="pca").fit(X)
    with pytest.raises(ValueError, match="the tutorial's network starts as its builder"):
        AutoencoderTransformer(
            2, architecture="tutorial", image_shape=(8, 8), init="pca", epochs=1
        ).fit(X)
    # "auto", the default, takes each network as it comes
    assert AutoencoderTransformer(2, architecture=custom, epochs=1).fit(X).n_iter_ == 1


def test_the_builders_defaults_are_the_networks_auto_sizes():
    import inspect

    for builder, name in ((dense_autoencoder, "dense"), (conv_autoencoder, "conv")):
        signature = inspect.signature(builder).parameters
        for option, value in DEFAULT_OPTIONS[name].items():
            assert signature[option].default == value, (name, option)


@pytest.mark.core
@pytest.mark.parametrize(
    "params, message",
    [
        ({"hidden_units": (0,)}, "hidden_units must be 'auto' or a tuple"),
        ({"hidden_units": (8.5,)}, "hidden_units must be 'auto' or a tuple"),
        ({"filters": (8,)}, "filters=\\(8,\\) sets the 'conv' network's sizes"),
        ({"filters": ()}, "filters must be 'auto' or a tuple of one or more"),
        ({"hidden_units": (8,), "architecture": "tutorial"}, "has none to set"),
    ],
)
def test_network_sizes_are_checked(params, message):
    X = np.random.default_rng(0).random((16, 64))
    if params.get("filters") == ():
        params = {**params, "image_shape": (8, 8)}
    if params.get("architecture") == "tutorial":
        params = {**params, "image_shape": (8, 8)}
    with pytest.raises(ValueError, match=message):
        AutoencoderTransformer(2, epochs=1, **params).fit(X)


def network_layers(encoder, attribute):
    """``attribute`` of each layer of the network inside a wrapped encoder."""
    import keras

    (network,) = [layer for layer in encoder.layers if isinstance(layer, keras.Model)]
    return [getattr(layer, attribute) for layer in network.layers if hasattr(layer, attribute)]


@pytest.mark.core
def test_hidden_units_and_filters_size_the_built_in_networks(digits):
    X = digits[0][:200]
    dense = AutoencoderTransformer(2, hidden_units=(16, 8), epochs=1, random_state=0).fit(X)
    assert network_layers(dense.encoder_, "units") == [16, 8, 2]
    linear = AutoencoderTransformer(2, hidden_units=(), epochs=1, random_state=0).fit(X)
    assert linear.encoder_.count_params() < dense.encoder_.count_params()
    conv = AutoencoderTransformer(
        2, image_shape=(8, 8), filters=(4,), hidden_units=(8,), epochs=1, random_state=0
    ).fit(X)
    assert network_layers(conv.encoder_, "filters") == [4]


def test_a_search_over_hidden_units_keeps_the_pca_start(digits):
    """Never worse than PCA on the validation split, whatever the widths."""
    X = digits[0][:600]
    search = GridSearchCV(
        AutoencoderTransformer(5, epochs=15, random_state=0),
        {"hidden_units": [(), (16,), (64, 32)]},
        cv=2,
    ).fit(X)
    assert search.best_params_["hidden_units"] in [(), (16,), (64, 32)]
    for hidden_units in [(), (16,), (64, 32)]:
        ae = AutoencoderTransformer(5, epochs=15, hidden_units=hidden_units, random_state=0)
        ae.fit(X)
        plan = make_plan(ae.get_params(), ae._validate(X))
        held_out = X[plan.val_rows]
        pca = PCA(5).fit(X[plan.train_rows])
        pca_error = np.mean((pca.inverse_transform(pca.transform(held_out)) - held_out) ** 2)
        ae_error = np.mean((ae.inverse_transform(ae.transform(held_out)) - held_out) ** 2)
        assert ae_error <= pca_error * (1 + 1e-6), hidden_units
        assert ae._recipe["options"]["hidden_units"] == hidden_units


def test_a_second_start_where_training_from_pca_found_nothing(digits, monkeypatch):
    """init="auto": when no epoch beats the PCA start on the validation split,
    a random start is tried, and kept where it beats PCA there."""
    from dataclasses import replace

    from skae import _training

    original = _training._run

    def frozen_from_pca(plan, networks, X):  # training from PCA moves nothing
        if plan.model.start == "pca":
            plan = replace(plan, learning_rate=1e-30)
        return original(plan, networks, X)

    monkeypatch.setattr(_training, "_run", frozen_from_pca)
    X = digits[0][:600]
    ae = AutoencoderTransformer(3, epochs=30, random_state=0).fit(X)
    assert ae.init_ == "random" and ae.best_epoch_ > 0 and ae.n_pca_codes_ == 0
    plan = make_plan(ae.get_params(), ae._validate(X))
    held_out = X[plan.val_rows]
    pca = PCA(3).fit(X[plan.train_rows])
    pca_error = np.mean((pca.inverse_transform(pca.transform(held_out)) - held_out) ** 2)
    ae_error = np.mean((ae.inverse_transform(ae.transform(held_out)) - held_out) ** 2)
    assert ae_error < pca_error
    # asked for by name, the PCA start is kept: the model is PCA
    pca_only = AutoencoderTransformer(3, epochs=30, init="pca", random_state=0).fit(X)
    assert pca_only.init_ == "pca" and pca_only.best_epoch_ == 0
    assert pca_only.n_pca_codes_ == 3
