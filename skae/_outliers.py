"""AutoencoderOutlierDetector: an autoencoder behind scikit-learn's outlier-detector contract."""

from numbers import Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.utils.validation import check_is_fitted

from ._autoencoder import AutoencoderTransformer
from ._plan import _AUTO_STEPS, auto_epochs
from ._sklearn_private import Interval, StrOptions, _fit_context

# How far above the third quartile of the training scores "auto" draws the
# line, in interquartile ranges: Tukey's fence, the whisker of a box plot.
_TUKEY = 1.5
# Added to each feature's typical training error before dividing by it, as
# a share of the mean over features: a pixel that the training images never
# get wrong (a corner) does not make any error there infinitely unusual.
_ERROR_FLOOR = 0.01
# The "local" score's neighbours: a sample's error is judged against that of
# the training samples whose codes are nearest its own (LocalOutlierFactor's
# default number), among at most _N_REFERENCE of them.
_N_NEIGHBORS = 20
_N_REFERENCE = 10_000
# An autoencoder's epochs="auto", in a detector: about this many gradient
# steps, half the transformer's own budget. On MNIST's one-class benchmark
# it detects nearly as well as the full budget, in about half the time
# (benchmarks/results/outliers.md).
_DETECTOR_STEPS = _AUTO_STEPS // 2


class AutoencoderOutlierDetector(OutlierMixin, BaseEstimator):
    """Flag unusual samples: those an autoencoder of the training data
    reconstructs worse than the training samples around them, or whose
    codes lie far from the training codes.

    A drop-in for scikit-learn's outlier detectors
    (:class:`~sklearn.ensemble.IsolationForest`,
    :class:`~sklearn.neighbors.LocalOutlierFactor` with ``novelty=True``):
    ``fit`` on data that is mostly normal, then ``predict`` gives +1 for
    inliers and -1 for outliers, ``decision_function`` is negative for
    outliers, and ``score_samples`` is lower the more unusual a sample is.
    The autoencoder is an :class:`~skae.AutoencoderTransformer`, with every
    setting of its own (``z_dim``, ``architecture``, ``noise``, the PCA
    start, ``random_state``...), searchable as ``autoencoder__z_dim``.

    Parameters
    ----------
    autoencoder : AutoencoderTransformer or None, default=None
        The autoencoder to fit (a clone of it; this one stays unfitted).
        None fits ``AutoencoderTransformer()``. In a detector, its
        ``epochs="auto"`` means about 2,000 gradient steps (still 10 to 200
        epochs): half the transformer's own budget, which detected nearly
        as well in about half the time on MNIST's one-class benchmark. An
        integer ``epochs`` is kept as it is.

    contamination : "auto" or float in (0, 0.5], default="auto"
        The share of the training samples to flag as outliers: ``offset_``
        is the score below which that share of them lie. ``"auto"`` flags
        the training samples whose anomaly score lies beyond Tukey's fence
        (the third quartile plus 1.5 interquartile ranges: a box plot's
        outliers), however many they are.

    anomaly_score : {"local", "reconstruction", "standardized", "latent", \
            "combined"}, default="local"
        What makes a sample unusual:

        - ``"local"``: its reconstruction error against that of the training
          samples whose codes are nearest its own (its 20 nearest, in codes
          scaled to unit variance, among at most 10,000 training samples),
          times its code's distance to the 20th of them against the
          training samples' median such distance: an error, or a place in
          the code space, unusual for where the sample lies, as
          :class:`~sklearn.neighbors.LocalOutlierFactor` judges a density
          (the best mean AUC of the five on MNIST's one-class benchmark,
          ``benchmarks/results/outliers.md``);
        - ``"reconstruction"``: its mean squared reconstruction error;
        - ``"standardized"``: its squared error at each feature divided by
          the typical (mean) squared error of the training samples there,
          then averaged: an error where the autoencoder is usually exact
          counts more than one where it always errs;
        - ``"latent"``: the Mahalanobis distance of its code from the
          training codes (a Gaussian fitted to them);
        - ``"combined"``: the standardized error and the latent distance,
          each divided by its median over the training samples, added.

    Attributes
    ----------
    autoencoder_ : AutoencoderTransformer
        The fitted autoencoder; its ``epochs`` is the number of epochs that
        ``"auto"`` came to.

    offset_ : float
        ``decision_function`` is ``score_samples - offset_``: negative for
        the samples ``predict`` flags.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when ``X`` has string
        column names.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Isolates samples by random splits.
    sklearn.neighbors.LocalOutlierFactor : Compares local densities.
    AutoencoderTransformer.score_samples : The reconstruction error alone.

    Notes
    -----
    ``fit`` is all or nothing, as the autoencoder's is: a fit that fails
    leaves an earlier fitted detector as it was.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderOutlierDetector, AutoencoderTransformer
    >>> X, y = load_digits(return_X_y=True)
    >>> detector = AutoencoderOutlierDetector(
    ...     AutoencoderTransformer(z_dim=4, epochs=20, random_state=0), contamination=0.05
    ... ).fit(X[y < 5] / 16)  # digits 0 to 4: the normal ones
    >>> round(float(np.mean(detector.predict(X[y < 5] / 16) == -1)), 2)  # of the training rows
    0.05
    >>> noise = np.random.default_rng(0).random((5, 64))
    >>> detector.predict(noise)  # nothing like a digit
    array([-1, -1, -1, -1, -1])
    """

    _parameter_constraints: ClassVar[dict] = {
        "autoencoder": [AutoencoderTransformer, None],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "anomaly_score": [
            StrOptions({"local", "reconstruction", "standardized", "latent", "combined"})
        ],
    }

    def __init__(self, autoencoder=None, *, contamination="auto", anomaly_score="local"):
        self.autoencoder = autoencoder
        self.contamination = contamination
        self.anomaly_score = anomaly_score

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the autoencoder to ``X``, then set ``offset_`` from its scores.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image stack
            Training data, mostly normal.
        y : None
            Ignored.

        Returns
        -------
        self : AutoencoderOutlierDetector
        """
        autoencoder = clone(
            AutoencoderTransformer() if self.autoencoder is None else self.autoencoder
        )
        if autoencoder.epochs == "auto":
            n_samples = len(autoencoder._check_X(X)[0])
            epochs = auto_epochs(autoencoder.get_params(), n_samples, _DETECTOR_STEPS)
            autoencoder.set_params(epochs=epochs)
        autoencoder.fit(X)
        X_model = autoencoder._check_fitted_X(X)
        errors = np.zeros(X_model[0].size)  # each feature's total squared error
        codes, sample_errors = [], []
        for part in _chunks(autoencoder, X_model):
            codes.append(autoencoder._encode(part))
            squared = _squared_errors(autoencoder, part, codes[-1])
            errors += squared.sum(axis=0)
            sample_errors.append(squared.mean(axis=1))
        codes, sample_errors = np.concatenate(codes), np.concatenate(sample_errors)
        typical = errors / len(X_model)
        # What every anomaly score needs of the training samples.
        reference = {
            "feature_scale": typical + _ERROR_FLOOR * typical.mean() + 1e-300,
            "code_mean": codes.mean(axis=0),
            "code_precision": np.linalg.pinv(np.atleast_2d(np.cov(codes, rowvar=False))),
            **_neighbors_reference(codes, sample_errors, autoencoder._seed),
        }
        parts = _parts(autoencoder, X_model, reference)
        reference["medians"] = np.median(parts, axis=1)
        scores = -_anomaly(self.anomaly_score, parts, reference)
        # All at once, once everything above has worked.
        self.__dict__.pop("feature_names_in_", None)
        self.autoencoder_ = autoencoder
        self._kind, self._reference = self.anomaly_score, reference
        self.offset_ = _offset(scores, self.contamination)
        self.n_features_in_ = autoencoder.n_features_in_
        if hasattr(autoencoder, "feature_names_in_"):
            self.feature_names_in_ = autoencoder.feature_names_in_
        return self

    def score_samples(self, X):
        """How normal each sample is: minus its anomaly score.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image stack

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The lower, the more unusual.
        """
        check_is_fitted(self)
        X_model = self.autoencoder_._check_fitted_X(X)
        parts = _parts(self.autoencoder_, X_model, self._reference)
        return -_anomaly(self._kind, parts, self._reference)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image stack

        Returns
        -------
        decision : ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """+1 for inliers, -1 for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image stack

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


def _chunks(autoencoder, X_model):
    """``X_model`` a few batches at a time: the memory of one chunk's
    reconstructions, whatever the size of X."""
    chunk = 8 * autoencoder.batch_size_
    for first in range(0, len(X_model), chunk):
        yield X_model[first : first + chunk]


def _squared_errors(autoencoder, X_model, codes):
    """Each sample's squared reconstruction error at each feature, (n, n_features)."""
    flat = np.asarray(X_model, dtype=np.float64).reshape(len(X_model), -1)
    return (flat - autoencoder._decode(codes)) ** 2


# The rows of _parts, by the anomaly score each is.
_PARTS = {"reconstruction": 0, "standardized": 1, "latent": 2, "local": 3}


def _neighbors_reference(codes, sample_errors, seed):
    """What the "local" score needs: up to ``_N_REFERENCE`` training codes
    (scaled to unit variance) with their errors, and the typical distance of
    a training code to its ``n_neighbors``-th nearest other one."""
    from sklearn.neighbors import NearestNeighbors

    keep = np.arange(len(codes))
    if len(codes) > _N_REFERENCE:
        keep = np.sort(np.random.default_rng(seed).permutation(keep)[:_N_REFERENCE])
    scale = codes.std(axis=0)
    scale[scale == 0] = 1.0
    scaled = codes[keep] / scale
    k = max(1, min(_N_NEIGHBORS, len(keep) - 1))
    # Each code's nearest is itself (or a copy, as near): the k after it.
    distances, _ = NearestNeighbors().fit(scaled).kneighbors(
        scaled, n_neighbors=min(k + 1, len(keep))
    )
    return {
        "code_scale": scale,
        "neighbor_codes": scaled,
        "neighbor_errors": sample_errors[keep],
        "n_neighbors": k,
        "typical_distance": np.median(distances[:, -1]) + 1e-300,
    }


def _parts(autoencoder, X_model, reference):
    """Each sample's mean squared error, its standardized error, its code's
    squared Mahalanobis distance from the training codes and its local
    score, ``(4, n)``."""
    from sklearn.neighbors import NearestNeighbors

    search = NearestNeighbors().fit(reference["neighbor_codes"])
    parts = []
    for part in _chunks(autoencoder, X_model):
        codes = autoencoder._encode(part)
        errors = _squared_errors(autoencoder, part, codes)
        mean_errors = errors.mean(axis=1)
        centred = codes - reference["code_mean"]
        distance = np.einsum("ij,jk,ik->i", centred, reference["code_precision"], centred)
        standardized = (errors / reference["feature_scale"]).mean(axis=1)
        apart, nearest = search.kneighbors(
            codes / reference["code_scale"], n_neighbors=reference["n_neighbors"]
        )
        around = reference["neighbor_errors"][nearest].mean(axis=1)
        local = (
            mean_errors / (around + 1e-300) * apart[:, -1] / reference["typical_distance"]
        )
        parts.append(np.stack([mean_errors, standardized, distance, local]))
    return np.concatenate(parts, axis=1)


def _anomaly(kind, parts, reference):
    """Each sample's anomaly score of ``kind``, from its :func:`_parts`: the
    higher, the more unusual."""
    if kind in _PARTS:
        return parts[_PARTS[kind]]
    both = [_PARTS["standardized"], _PARTS["latent"]]  # "combined"
    return (parts[both] / reference["medians"][both, None]).sum(axis=0)


def _offset(scores, contamination):
    """The score below which training samples are flagged."""
    if contamination == "auto":
        low, high = np.percentile(-scores, [25, 75])
        return -(high + _TUKEY * (high - low))
    return float(np.percentile(scores, 100 * contamination))
