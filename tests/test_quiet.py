"""What skae prints: nothing of TensorFlow's, however many models a session fits."""

import logging

import keras
import numpy as np
import pytest

from skae import AutoencoderTransformer
from skae.exceptions import DivergenceError

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the retracing warning is TensorFlow's",
)


@pytest.fixture
def tensorflow_warnings():
    """The records that TensorFlow's logger passes on while the test runs."""
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def _retracing(records):
    return [r.getMessage() for r in records if "retracing" in r.getMessage()]


def test_no_retracing_warning_after_fits_that_diverged(digits, tensorflow_warnings):
    X = digits[0][:300]
    for _ in range(3):
        with pytest.raises(DivergenceError):
            AutoencoderTransformer(
                z_dim=2, epochs=2, optimizer="sgd", learning_rate=1e12
            ).fit(X)
    ae = AutoencoderTransformer(z_dim=2, epochs=2, random_state=0).fit(X)
    ae.inverse_transform(ae.transform(X))
    assert _retracing(tensorflow_warnings) == []


def test_no_retracing_warning_from_many_small_fits(tensorflow_warnings):
    # as check_estimator fits: new, tiny models, one after the other
    rng = np.random.default_rng(0)
    for n_features in (3, 4, 5, 6, 7, 8):
        X = rng.random((20, n_features))
        ae = AutoencoderTransformer(z_dim=2, epochs=1, batch_size=16).fit(X)
        ae.score(X)
    assert _retracing(tensorflow_warnings) == []
