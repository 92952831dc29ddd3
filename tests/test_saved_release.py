"""A model saved by skae 0.1.0 loads, and gives the codes it gave then, in every later version.

``tests/data/model-0.1.0.skops`` holds a nested model of the digits, saved by
this release with skops; ``tests/data/model-0.1.0.npz`` the images it was
given and what it answered. Never regenerate them: a version that cannot
load them, or answers otherwise, breaks the files users saved.
"""

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

import skae

pytestmark = pytest.mark.core

DATA = Path(__file__).parent / "data"


def test_a_model_saved_by_0_1_0_loads_and_reproduces_its_codes():
    model = skae.load_model(DATA / "model-0.1.0.skops")
    then = np.load(DATA / "model-0.1.0.npz")
    # float32 arithmetic may round differently on another backend or CPU
    np.testing.assert_allclose(model.transform(then["X"]), then["codes"], atol=1e-5)
    np.testing.assert_allclose(
        model.inverse_transform(then["codes"][:, :2]), then["first_2"], atol=1e-5
    )
    np.testing.assert_array_equal(
        model.explained_variance_ratio_, then["explained_variance_ratio"]
    )
    assert (model.z_dim_, model.n_features_in_) == (3, 64)


def save_the_release_model():
    """How the files were made, by skae 0.1.0 (kept for the record, not rerun)."""
    import skops.io as sio

    X = load_digits().data[:300] / 16
    model = skae.AutoencoderTransformer(z_dim=3, nested=True, epochs=2, random_state=0)
    model.fit(X)
    sio.dump(model, DATA / "model-0.1.0.skops")
    codes = model.transform(X[:20])
    np.savez(
        DATA / "model-0.1.0.npz",
        X=X[:20],
        codes=codes,
        first_2=model.inverse_transform(codes[:, :2]),
        explained_variance_ratio=model.explained_variance_ratio_,
    )


if __name__ == "__main__":
    save_the_release_model()
