"""What a fitted AutoencoderTransformer holds: one type, committed in one place."""

import copy
import functools
from dataclasses import dataclass, fields, replace

import numpy as np

from ._plan import ModelPlan
from ._stats import pca_errors

# Codes kept for sample(): enough for a kernel density in a few dimensions,
# few enough that encoding them costs a fraction of a percent of a fit.
N_TRAINING_CODES = 2_000
# Rows on which a nested model's prefixes are judged against PCA's and its
# explained variance is measured: each prefix is one decoding of them.
N_PREFIX_ROWS = 10_000
# The chance, over all its prefixes, that a nested model keeps a prefix that
# only beat PCA's on its validation rows by luck.
PREFIX_TEST_LEVEL = 0.05


@dataclass(frozen=True)
class FittedState:
    """Every fitted attribute, named as on the estimator.

    ``fit`` and ``partial_fit`` each build one, and the estimator takes all
    of it at once (:meth:`AutoencoderTransformer._commit`), so a failure
    anywhere before leaves an earlier model whole. The public fields are
    documented on the estimator; the private ones are what continuing
    (``partial_fit``) and saving need beyond predicting.
    """

    encoder_: object  # keras.Model
    decoder_: object  # keras.Model
    history_: dict
    n_iter_: int
    best_epoch_: int | None
    max_epochs_: int
    image_shape_: tuple | None
    input_shape_: tuple
    architecture_: str
    init_: str | None  # where the kept model started: "pca", "random" or None
    output_activation_: str | None
    compute_dtype_: str
    z_dim_: int
    batch_size_: int
    explained_variance_ratio_: np.ndarray | None  # None: codes not nested
    n_pca_codes_: int
    training_codes_: np.ndarray | None
    n_features_in_: int
    feature_names_in_: np.ndarray | None
    _variational: bool
    _nested: bool
    _prefix_weights: np.ndarray | None  # a nested model's loss weight per size
    _seed: int
    _loss_scale: float
    _recipe: dict | None  # None for a custom architecture
    _training_model: object | None  # None once saved: partial_fit rebuilds it

    @classmethod
    def of(cls, estimator):
        """The state a fitted estimator holds (its training model may be gone)."""
        held = vars(estimator)
        return cls(**{field.name: held.get(field.name) for field in fields(cls)})

    # Attributes that a fitted estimator has only for some fits (as PCA's
    # feature_names_in_): absent, rather than None, when the fit has none.
    OPTIONAL = ("feature_names_in_", "explained_variance_ratio_")

    def attributes(self):
        """The attributes to set on the estimator: every field but absent ones."""
        attributes = {field.name: getattr(self, field.name) for field in fields(self)}
        for name in self.OPTIONAL:
            if attributes[name] is None:
                del attributes[name]
        return attributes

    def copy(self):
        """A state that shares nothing with this one.

        The networks are rebuilt from their weights (as loading a saved
        model does) and every array and dict is copied, so that training,
        refitting or changing either state never reaches the other. The
        copy has no training model: its first ``partial_fit`` builds one,
        with a fresh optimizer, as after loading.
        """
        from ._model import from_state, to_state

        encoder, decoder = from_state(
            to_state(self.encoder_, self.decoder_, self._recipe),
            self._recipe,
            safe_mode=False,  # the models are in memory already: nothing is read
        )
        plain_data = {
            field.name: copy.deepcopy(getattr(self, field.name))
            for field in fields(self)
            if field.name not in ("encoder_", "decoder_", "_training_model")
        }
        return FittedState(
            encoder_=encoder, decoder_=decoder, _training_model=None, **plain_data
        )

    def model_plan(self):
        """The :class:`ModelPlan` this state's networks were built from."""
        return ModelPlan(
            input_shape=self.input_shape_,
            image_shape=self.image_shape_,
            architecture=self.architecture_,
            builder=None,  # built already
            start=self._recipe["start"] if self._recipe else None,
            output_activation=self.output_activation_,
            compute_dtype=self.compute_dtype_,
            options=self._recipe.get("options", {}) if self._recipe else {},
            z_dim=self.decoder_.inputs[0].shape[-1],  # all units, nested or not
            variational=self._variational,
            nested=self._nested,
        )


def after_training(plan, networks, data, history, best_epoch, previous=None):
    """The state of a model just trained as ``plan`` says.

    A new fit's state comes from the plan; a partial_fit call continuing
    ``previous`` adds its epochs to ``previous``'s history.
    """
    X = plan.model.model_input(data.X)
    if previous is None:
        state = _new_state(plan, networks, data, history, best_epoch)
    else:
        state = replace(
            previous,
            history_={
                key: previous.history_.get(key, []) + values
                for key, values in history.items()
            },
            n_iter_=previous.n_iter_ + len(history["loss"]),
            _training_model=networks.training_model,
        )
    if state._nested:
        ratios = explained_variance_ratio(state, X, plan, previous)
        state = replace(state, explained_variance_ratio_=ratios, z_dim_=len(ratios))
    if state._variational:  # sample() draws from the prior instead
        return state
    return replace(state, training_codes_=training_codes(state, X, plan))


def _new_state(plan, networks, data, history, best_epoch):
    model = plan.model
    return FittedState(
        encoder_=networks.encoder,
        decoder_=networks.decoder,
        history_=history,
        n_iter_=len(history["loss"]),
        best_epoch_=best_epoch,
        max_epochs_=plan.epochs,
        image_shape_=model.image_shape,
        input_shape_=model.input_shape,
        architecture_=model.architecture,
        init_=model.start,
        output_activation_=model.output_activation,
        compute_dtype_=model.compute_dtype,
        z_dim_=model.z_dim,
        batch_size_=plan.batch_size,
        explained_variance_ratio_=None,
        n_pca_codes_=0,
        training_codes_=None,
        n_features_in_=data.n_features,
        feature_names_in_=data.feature_names,
        _variational=model.variational,
        _nested=model.nested,
        _prefix_weights=None if plan.nesting is None else plan.nesting.weights,
        _seed=plan.seed,
        _loss_scale=networks.loss_scale,
        _recipe=networks.recipe,
        _training_model=networks.training_model,
    )


def training_codes(state, X, plan):
    """Codes of up to 2,000 random training rows of ``X``, for ``sample()``."""
    from ._model import predict

    generator = np.random.default_rng(plan.seed_for("codes"))
    picked = np.sort(generator.permutation(plan.train_rows)[:N_TRAINING_CODES])
    return predict(state.encoder_, X[picked], state.batch_size_)[:, : state.z_dim_]


def explained_variance_ratio(state, X, plan, previous=None):
    """The share of the variance that each code adds, as PCA's attribute.

    Measured on (up to 2,000 random rows of) the validation split, or the
    training rows without one, around the training mean: the first k
    codes reconstruct ``cumsum(ratio)[k - 1]`` of that variance. For a
    float ``z_dim`` (``plan.target_share``) the ratios stop at the first
    prefix that reaches it; a partial_fit call keeps ``previous``'s size.
    """
    from ._model import decode, predict

    picked = judged_rows(plan)
    flat = np.asarray(X[picked], dtype=np.float64).reshape(len(picked), -1)
    mean = _training_mean(X, plan)
    total = float(np.sum((flat - mean) ** 2))
    codes = predict(state.encoder_, X[picked], state.batch_size_)
    width = codes.shape[1]

    @functools.cache
    def share(k):
        decoded = decode(state.decoder_, codes[:, :k], state.batch_size_)
        residual = flat - decoded.reshape(flat.shape)
        return 1.0 - float(np.sum(residual**2)) / max(total, 1e-300)

    if previous is not None:
        size = previous.z_dim_
    elif plan.target_share is None:
        size = width
    else:
        size = _first_reaching(share, plan.target_share, width)
    shares = np.array([share(k) for k in range(1, size + 1)])
    return np.diff(shares, prepend=0.0)


def judged_rows(plan):
    """The rows a nested model's prefixes are measured on: up to 10,000 random
    rows of the validation split (of the training rows without one), sorted."""
    rows = plan.val_rows if len(plan.val_rows) else plan.train_rows
    generator = np.random.default_rng(plan.seed_for("shares"))
    return np.sort(generator.permutation(rows)[:N_PREFIX_ROWS])


def pca_prefixes(plan, networks, X):
    """Make as many first codes of a nested model PCA's as it takes for no
    prefix to decode worse than PCA's of its size, on the validation split;
    return how many.

    A prefix beats PCA of its size when its gain on the validation rows
    (PCA's squared error minus its own, row by row) is clear of their noise:
    a one-sided test at 5 %, Bonferroni-corrected for the ``width`` prefixes
    judged on the same rows, so that one of many is not kept by luck. A
    prefix of k codes that does not beat PCA(k) can decode as PCA(k) only
    if its k codes are PCA's: so the first ``n`` codes become PCA's
    (:func:`~skae._model.set_pca_codes`), for the smallest ``n`` at which
    every longer prefix still beats PCA of its size, judged again on the
    changed model after each step. ``plan.pca`` holds PCA of the training
    rows (the model's start).
    """
    from scipy.stats import norm

    from ._model import decode, predict, set_pca_codes

    rows = judged_rows(plan)
    flat = np.asarray(X[rows], dtype=np.float64).reshape(len(rows), -1)
    axes = plan.pca
    by_size = pca_errors(axes, flat)
    width = len(by_size)
    threshold = norm.ppf(1 - PREFIX_TEST_LEVEL / width)

    def beats_pca(codes, k):
        decoded = decode(networks.decoder, codes[:, :k], plan.batch_size)
        gains = by_size[k - 1] - np.sum((flat - decoded.reshape(flat.shape)) ** 2, axis=1)
        noise = np.std(gains, ddof=1) / np.sqrt(len(gains)) if len(gains) > 1 else 0.0
        return np.mean(gains) > max(threshold * noise, 0.0)

    n_pca = 0
    while n_pca < width:
        codes = predict(networks.encoder, X[rows], plan.batch_size)
        failing = [k for k in range(n_pca + 1, width + 1) if not beats_pca(codes, k)]
        if not failing:
            break
        n_pca = max(failing)
        set_pca_codes(networks.encoder, networks.decoder, n_pca, axes)
    return n_pca


def _training_mean(X, plan):
    """The mean of the training rows, flat (the PCA start's, when it has one)."""
    if plan.pca is not None:
        return plan.pca.mean
    from ._stats import principal_axes  # a partial_fit call: its own chunk

    axes = principal_axes(X, plan.train_rows, 0, max_covariance_features=0, seed=0)
    return axes.mean


def _first_reaching(share, target, width):
    """The smallest k in 1..width with ``share(k) >= target`` (width if none).

    A binary search: the shares of nested prefixes grow with k.
    """
    low, high = 1, width
    while low < high:
        middle = (low + high) // 2
        if share(middle) >= target:
            high = middle
        else:
            low = middle + 1
    return low
