"""AutoencoderOutlierDetector: scikit-learn's outlier-detector contract, and
unusual samples found."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import skae
from skae import AutoencoderOutlierDetector, AutoencoderTransformer

FAST = {"z_dim": 2, "epochs": 2, "batch_size": 16, "random_state": 0}


# Not under every backend: the detector's own code is NumPy on top of the
# autoencoder, whose checks run under each (tests/test_common.py).
@parametrize_with_checks([AutoencoderOutlierDetector(AutoencoderTransformer(**FAST))])
def test_sklearn_compatible_outlier_detector(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def zeros_to_fours(digits):
    """A detector of the digits 0 to 4 (flagging 5 % of them), those digits,
    and the digits 5 to 9."""
    X, y = digits
    detector = AutoencoderOutlierDetector(
        AutoencoderTransformer(z_dim=4, epochs=20, random_state=0), contamination=0.05
    )
    return detector.fit(X[y < 5]), X[y < 5], X[y >= 5]


@pytest.mark.core
def test_contamination_flags_its_share_of_the_training_rows(zeros_to_fours):
    detector, normal, _ = zeros_to_fours
    flagged = detector.predict(normal) == -1
    assert 0.04 <= flagged.mean() <= 0.06
    # predict is the sign of decision_function
    decision = detector.decision_function(normal)
    np.testing.assert_array_equal(flagged, decision < 0)
    # the offset is the 5th percentile of the training rows' own scores: not
    # of the reconstruction error alone, nor of other rows
    scores = detector.score_samples(normal)
    assert detector.offset_ == pytest.approx(np.percentile(scores, 5))
    np.testing.assert_allclose(decision, scores - detector.offset_)


@pytest.mark.core
def test_auto_flags_the_training_rows_beyond_tukeys_fence(zeros_to_fours, digits):
    _, normal, _ = zeros_to_fours
    detector = AutoencoderOutlierDetector(
        AutoencoderTransformer(z_dim=4, epochs=20, random_state=0)
    ).fit(normal)
    anomaly = -detector.score_samples(normal)
    low, high = np.percentile(anomaly, [25, 75])
    assert -detector.offset_ == pytest.approx(high + 1.5 * (high - low))
    assert 0 < np.mean(detector.predict(normal) == -1) < 0.15


def test_unseen_digits_score_below_the_training_digits(zeros_to_fours):
    detector, normal, unusual = zeros_to_fours
    scores = np.concatenate([detector.score_samples(normal), detector.score_samples(unusual)])
    is_normal = np.r_[np.ones(len(normal)), np.zeros(len(unusual))]
    # measured on these digits (seen in training, so an easy case): 0.95
    assert roc_auc_score(is_normal, scores) > 0.9
    assert np.mean(detector.predict(unusual) == -1) > 0.3


@pytest.fixture(scope="module")
def by_score(zeros_to_fours):
    """A detector of the digits 0 to 4 for each anomaly score, one autoencoder."""
    _, normal, _ = zeros_to_fours
    fitted = AutoencoderOutlierDetector(
        AutoencoderTransformer(z_dim=4, epochs=5, random_state=0)
    ).fit(normal)
    detectors = {"default": fitted}
    for kind in ("local", "reconstruction", "standardized", "latent", "combined"):
        detectors[kind] = clone(fitted).set_params(anomaly_score=kind).fit(normal)
    return detectors, normal


@pytest.mark.core
def test_the_default_score_is_the_local_one(by_score):
    # chosen by benchmarks/outliers.py: the best mean AUC of the five on MNIST
    detectors, normal = by_score
    np.testing.assert_array_equal(
        detectors["default"].score_samples(normal),
        detectors["local"].score_samples(normal),
    )


@pytest.mark.core
def test_each_anomaly_score_is_what_it_says(by_score):
    detectors, normal = by_score
    ae = detectors["reconstruction"].autoencoder_  # all of them fit the same one
    for detector in detectors.values():
        np.testing.assert_array_equal(detector.autoencoder_.transform(normal), ae.transform(normal))
    squared = (ae.inverse_transform(ae.transform(normal)) - normal) ** 2
    anomaly = {kind: -d.score_samples(normal) for kind, d in detectors.items()}
    np.testing.assert_allclose(anomaly["reconstruction"], squared.mean(axis=1), rtol=1e-5)
    typical = squared.mean(axis=0)
    standardized = (squared / (typical + 0.01 * typical.mean())).mean(axis=1)
    np.testing.assert_allclose(anomaly["standardized"], standardized, rtol=1e-4)
    codes = ae.transform(normal).astype(float)
    centred = codes - codes.mean(axis=0)
    distance = np.einsum("ij,jk,ik->i", centred, np.linalg.inv(np.cov(codes.T)), centred)
    np.testing.assert_allclose(anomaly["latent"], distance, rtol=1e-4)
    combined = standardized / np.median(standardized) + distance / np.median(distance)
    np.testing.assert_allclose(anomaly["combined"], combined, rtol=1e-4)
    # local: the error against that of the 20 nearest training codes (codes
    # scaled to unit variance; a training sample is among its own), times
    # the distance to the 20th of them against the training samples' median
    # distance to their 20th nearest other code
    scaled = codes / codes.std(axis=0)
    apart = np.sort(np.linalg.norm(scaled[:, None] - scaled[None], axis=2), axis=1)
    nearest = np.argsort(np.linalg.norm(scaled[:, None] - scaled[None], axis=2), axis=1)
    errors = squared.mean(axis=1)
    local = errors / errors[nearest[:, :20]].mean(axis=1) * apart[:, 19] / np.median(apart[:, 20])
    np.testing.assert_allclose(anomaly["local"], local, rtol=1e-4)


@pytest.mark.parametrize("kind", ["local", "reconstruction", "standardized", "combined"])
def test_noise_is_less_normal_than_the_digits(by_score, kind):
    # The latent distance alone misses noise: the encoder maps it among the
    # digits' codes (measured, and why the default score is an error's).
    detectors, normal = by_score
    noise = np.random.default_rng(0).random((20, 64))
    scores = detectors[kind].score_samples(noise)
    assert scores.max() < np.median(detectors[kind].score_samples(normal))


def test_a_failed_fit_leaves_the_earlier_detector_as_it_was(zeros_to_fours):
    detector, normal, _ = zeros_to_fours
    detector = clone(detector).fit(normal)
    before = detector.score_samples(normal)
    offset, autoencoder = detector.offset_, detector.autoencoder_
    bad = normal.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        detector.fit(bad)
    assert detector.offset_ == offset and detector.autoencoder_ is autoencoder
    np.testing.assert_array_equal(detector.score_samples(normal), before)


def test_in_a_pipeline_a_search_and_a_skops_file(digits, tmp_path):
    import skops.io as sio

    X, y = digits
    normal, labels = X[y < 5] * 16, np.where(y < 5, 1, -1)
    pipe = make_pipeline(
        MinMaxScaler(),
        AutoencoderOutlierDetector(AutoencoderTransformer(epochs=5, random_state=0)),
    )

    def auc(estimator, X, y):
        return roc_auc_score(y, estimator.score_samples(X))

    search = GridSearchCV(
        pipe,
        {"autoencoderoutlierdetector__autoencoder__z_dim": [2, 4]},
        scoring=auc,
        cv=[(np.flatnonzero(y[:900] < 5), np.arange(900, len(X)))],
    ).fit(X * 16, labels)
    assert search.best_params_["autoencoderoutlierdetector__autoencoder__z_dim"] in (2, 4)
    model = search.best_estimator_
    sio.dump(model, tmp_path / "detector.skops")
    loaded = skae.load_model(tmp_path / "detector.skops")
    np.testing.assert_array_equal(loaded.predict(normal), model.predict(normal))
    np.testing.assert_array_equal(loaded.score_samples(X), model.score_samples(X))


def test_the_local_score_looks_among_at_most_so_many_training_codes(
    zeros_to_fours, monkeypatch
):
    from skae import _outliers

    monkeypatch.setattr(_outliers, "_N_REFERENCE", 100)
    fitted, normal, unusual = zeros_to_fours
    detector = clone(fitted).set_params(anomaly_score="local").fit(normal)
    reference = detector._reference
    assert len(reference["neighbor_codes"]) == 100 < len(normal)
    ae = detector.autoencoder_
    codes = ae.transform(unusual).astype(float) / reference["code_scale"]
    errors = ((ae.inverse_transform(ae.transform(unusual)) - unusual) ** 2).mean(axis=1)
    apart = np.linalg.norm(codes[:, None] - reference["neighbor_codes"][None], axis=2)
    nearest = np.argsort(apart, axis=1)[:, :20]
    twentieth = np.take_along_axis(apart, nearest[:, -1:], axis=1)[:, 0]
    around = reference["neighbor_errors"][nearest].mean(axis=1)
    expected = errors / around * twentieth / reference["typical_distance"]
    np.testing.assert_allclose(-detector.score_samples(unusual), expected, rtol=1e-4)


@pytest.mark.core
def test_auto_epochs_are_the_detectors_own_shorter_budget(digits, monkeypatch):
    from skae import _outliers
    from skae._plan import auto_epochs

    X, y = digits
    normal = X[y < 5]  # 901 rows: 100 validate, 801 train in 25 batches of 32
    params = AutoencoderTransformer().get_params()
    steps = _outliers._DETECTOR_STEPS
    assert steps == 2000 and auto_epochs(params, len(normal), steps) == 80
    assert auto_epochs(params, len(normal), 2 * steps) == 160  # the transformer's own
    monkeypatch.setattr(_outliers, "_DETECTOR_STEPS", 400)  # 16 epochs: a quick test
    given = AutoencoderTransformer(z_dim=4, random_state=0)
    detector = AutoencoderOutlierDetector(given).fit(normal)
    assert detector.autoencoder_.epochs == 16 >= detector.autoencoder_.n_iter_
    assert given.epochs == "auto"  # the detector's clone changed, not the user's model
    kept = AutoencoderOutlierDetector(AutoencoderTransformer(z_dim=4, epochs=3)).fit(normal)
    assert kept.autoencoder_.epochs == 3
