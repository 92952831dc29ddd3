"""Every fitted model a user gets from skae owns its weights and arrays.

The ways a fitted model (or its networks, or its arrays) leaves the
estimator: ``truncate``, ``copy.deepcopy``/``copy.copy``, pickling, skops,
a ``Pipeline``'s cache (``memory=``), ``GridSearchCV``'s refit, ``clone``.
Training, refitting or changing what came out never changes the original,
and the reverse. (``encoder_`` and ``decoder_`` are the model itself, as
PCA's ``components_`` are: changing them changes it, by design.)
"""

import copy
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skae import AutoencoderTransformer

# Small fits: a nested dense model, a nested conv model, a variational one.
KINDS = {
    "nested dense": {"z_dim": 6, "nested": True},
    "nested conv": {"z_dim": 6, "nested": True, "image_shape": (8, 8)},
    "variational": {"z_dim": 2, "variational": True},
}


@pytest.fixture(scope="module", params=list(KINDS))
def fitted(request, digits):
    """``(kind, fitted model, X)``: each of KINDS, or those a test names."""
    X = digits[0][:400]
    ae = AutoencoderTransformer(epochs=3, random_state=0, **KINDS[request.param])
    return request.param, ae.fit(X), X


def snapshot(ae, X):
    """What a user has kept of a model: its codes and reconstructions."""
    Z = ae.transform(X)
    return Z, ae.inverse_transform(Z)


def assert_unchanged(ae, X, before):
    for kept, now in zip(before, snapshot(ae, X)):
        np.testing.assert_array_equal(now, kept)


def train_twice(model, X):
    model.partial_fit(X)
    model.partial_fit(X)


NESTED = pytest.mark.parametrize("fitted", ["nested dense", "nested conv"], indirect=True)


@pytest.mark.core
@NESTED
def test_training_a_truncated_model_leaves_the_original_as_it_was(fitted):
    _, ae, X = fitted
    ae = copy.deepcopy(ae)  # the fixture is shared: train a copy of it
    before = snapshot(ae, X)
    small = ae.truncate(3)
    small_before = snapshot(small, X)
    train_twice(small, X)
    assert not np.array_equal(small.transform(X), small_before[0])  # it trained
    assert_unchanged(ae, X, before)
    # and the other way: training the original leaves the small model alone
    small_now = snapshot(small, X)
    train_twice(ae, X)
    assert_unchanged(small, X, small_now)
    # a refit of the small one, and deleting it, change nothing either
    small.set_params(epochs=1).fit(X)
    del small
    assert ae.transform(X).shape == (len(X), 6)


@pytest.mark.core
@NESTED
def test_a_truncated_models_arrays_are_its_own(fitted):
    _, ae, X = fitted
    small = ae.truncate(2)
    ratios, codes = ae.explained_variance_ratio_.copy(), ae.training_codes_.copy()
    small.explained_variance_ratio_[:] = 0
    small.training_codes_[:] = 0
    small.history_["loss"].append(123.0)
    np.testing.assert_array_equal(ae.explained_variance_ratio_, ratios)
    np.testing.assert_array_equal(ae.training_codes_, codes)
    assert 123.0 not in ae.history_["loss"]


@pytest.mark.parametrize(
    "way_out",
    [copy.deepcopy, copy.copy, lambda ae: pickle.loads(pickle.dumps(ae))],
    ids=["deepcopy", "copy", "pickle"],
)
def test_training_a_copy_leaves_the_original_as_it_was(fitted, way_out):
    _, ae, X = fitted
    original = copy.deepcopy(ae)
    before = snapshot(original, X)
    train_twice(way_out(original), X)
    assert_unchanged(original, X, before)


def test_a_model_loaded_with_skops_is_its_own(fitted, tmp_path):
    import skops.io as sio

    import skae

    _, ae, X = fitted
    before = snapshot(ae, X)
    sio.dump(ae, tmp_path / "ae.skops")
    train_twice(skae.load_model(tmp_path / "ae.skops"), X)
    assert_unchanged(ae, X, before)


def test_a_pipelines_cached_step_is_not_the_one_it_returns(digits, tmp_path):
    X = digits[0][:300]
    pipe = make_pipeline(
        FunctionTransformer(),  # a cached step is any step but the last
        AutoencoderTransformer(z_dim=3, epochs=2, random_state=0),
        FunctionTransformer(),
        memory=str(tmp_path),
    )
    first = pipe.fit(X)[1]
    before = snapshot(first, X)
    second = clone(pipe).fit(X)[1]  # from the cache
    np.testing.assert_array_equal(snapshot(second, X)[0], before[0])
    train_twice(second, X)
    assert_unchanged(first, X, before)


def test_a_searchs_refit_model_is_not_the_estimator_it_was_given(digits):
    X = digits[0][:300]
    given = AutoencoderTransformer(z_dim=3, epochs=2, random_state=0).fit(X)
    before = snapshot(given, X)
    search = GridSearchCV(given, {"z_dim": [2, 3]}, cv=2).fit(X)
    train_twice(search.best_estimator_, X)
    assert_unchanged(given, X, before)
