"""Saved models: loaded safely, by the public class path, for good."""

import pickle

import numpy as np
import pytest
import skops.io as sio
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skae import AutoencoderTransformer, load_model

pytestmark = pytest.mark.core


def _halve(X):
    return X / 2


@pytest.fixture(scope="module")
def model(digits):
    X = digits[0][:300]
    return AutoencoderTransformer(z_dim=2, epochs=1, random_state=0).fit(X), X


def test_saved_models_name_the_public_class(model, tmp_path):
    ae, X = model
    sio.dump(ae, tmp_path / "ae.skops")
    assert sio.get_untrusted_types(file=tmp_path / "ae.skops") == [
        "skae.AutoencoderTransformer"
    ]
    assert b"skae._autoencoder" not in pickle.dumps(ae)
    np.testing.assert_array_equal(
        load_model(tmp_path / "ae.skops").transform(X), ae.transform(X)
    )


def test_a_file_that_asks_for_more_is_refused(model, tmp_path):
    ae, X = model
    path = tmp_path / "pipeline.skops"
    sio.dump(make_pipeline(FunctionTransformer(_halve), ae).fit(X), path)
    # the module is test_persistence, or tests.test_persistence under importlib
    assert f"{_halve.__module__}._halve" in sio.get_untrusted_types(file=path)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match="_halve"):
        load_model(path)
    # the recipe the README and the user guide show
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match="_halve"):
        sio.load(path, trusted=["skae.AutoencoderTransformer"])
