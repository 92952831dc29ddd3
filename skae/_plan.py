"""What a fit will do, resolved once from the parameters and the data.

:func:`make_plan` turns the estimator's parameters and its validated data
into a frozen :class:`FitPlan`: every choice a fit makes (the network, the
split, the budget, the schedule, the stopping rule, the noise, the seeds)
is made here and nowhere else, for ``fit`` and for each ``partial_fit``
call alike, so that both run the same checks. Nothing here imports Keras
until a fit asks for the hardware's precision.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from ._stats import Axes, principal_axes

# The built-in networks by name, each built by architectures.<name>_autoencoder.
BUILT_IN_ARCHITECTURES = ("dense", "conv", "tutorial")
# The optimizers by name, each keras.optimizers.<class name>.
OPTIMIZERS = {
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "Nadam",
    "rmsprop": "RMSprop",
    "sgd": "SGD",
}
_SEED_MAX = np.iinfo(np.int32).max
# Every seed of a fit derives from one model seed and the purpose it serves,
# each purpose a stream of its own (numpy's SeedSequence spawn keys), so no
# two purposes can ever draw the same numbers.
SEED_STREAMS = {
    "init": 1,
    "split": 2,
    "batches": 3,
    "noise": 4,
    "sampling": 5,
    "codes": 6,
    "prefixes": 7,
    "validation": 8,
    "shares": 9,
}
# Data beyond this magnitude would overflow the float32 squared error.
MAX_ABS_VALUE = 1e15
# Beyond this many features the principal axes come from a sample of rows
# (a covariance matrix of 4096**2 float64 already takes 128 MB).
_MAX_COVARIANCE_FEATURES = 4096
# bfloat16 was measured faster from MNIST's 28x28 images on.
_BFLOAT16_MIN_PIXELS = 28 * 28
# "auto" epochs give about this many gradient steps, within these bounds.
_AUTO_STEPS, _MIN_AUTO_EPOCHS, _MAX_AUTO_EPOCHS = 4000, 10, 200
# "auto" patience: epochs, and the fewest gradient steps they must hold.
_AUTO_PATIENCE_EPOCHS, _MIN_PATIENCE_STEPS = 10, 1000
# "auto" validation: a tenth of the rows, at least this many (at most 30%).
_MIN_AUTO_VALIDATION = 100
# "auto" batches: large from this many training samples on, small below.
_LARGE_DATA, _LARGE_BATCH, _SMALL_BATCH = 10_000, 128, 32


@dataclass(frozen=True)
class Data:
    """Validated data: flat rows, and what a plan needs to know of them."""

    X: np.ndarray  # (n_samples, n_features), float32 or float64 as given
    stack_shape: tuple | None  # (H, W, C) when X came as an image stack
    feature_names: np.ndarray | None
    value_range: tuple  # (min, max) of X, read once

    @property
    def n_samples(self):
        return len(self.X)

    @property
    def n_features(self):
        return self.X.shape[1]


@dataclass(frozen=True)
class ModelPlan:
    """The networks to build: what the fitted model is made of."""

    input_shape: tuple  # one sample as the networks see it
    image_shape: tuple | None  # (H, W, C), or None for tabular rows
    architecture: str  # a built-in name, or "custom"
    builder: Callable | None  # the user's callable, for "custom"
    # "pca": a linear path from PCA plus networks that start at zero;
    # "random": the networks alone, on standardised data; None: the
    # network exactly as its builder makes it ("tutorial", "custom").
    start: str | None
    output_activation: str | None  # None for a custom network
    compute_dtype: str  # "float32" or "bfloat16"
    # The built-in builder's sizes (hidden_units, filters); {} for the
    # tutorial's network and a custom one.
    options: dict
    z_dim: int  # the code units the networks have
    variational: bool
    # Nested codes: the decoder takes a mask too, and decodes every prefix.
    nested: bool

    def model_input(self, X):
        """Flat rows as the networks take them (a view, never a copy)."""
        return X.reshape(len(X), *self.input_shape)


@dataclass(frozen=True)
class Corruption:
    """Training noise of a denoising autoencoder (inputs only, never targets)."""

    kind: str  # "gaussian" or "masking"
    level: float  # standard deviation, or the share of values set to zero
    clip: tuple  # the data's range, which gaussian noise may not leave


@dataclass(frozen=True)
class Nesting:
    """How a nested fit trains every prefix of the code.

    Every training row is decoded twice in each step: from its whole code,
    and from a prefix of a size ``k`` in 1..width drawn for it with
    ``probabilities[k - 1]`` (the code masked after ``k`` units); the loss
    of size ``k`` counts ``weights[k - 1]`` times. The whole code is always
    trained, as a plain fit trains it: the first codes, which every prefix
    shares, learn from every size at once, and a prefix that stays weak
    is one of the first, where falling back to PCA's codes costs least
    (:func:`~skae._fitted.pca_prefixes`).
    """

    probabilities: np.ndarray
    weights: np.ndarray
    # The prefixes each row is decoded from in a step: the whole code, and
    # one of a size drawn for it.
    SLOTS = 2

    @classmethod
    def relative_to_pca(cls, pca, width):
        """Every size alike, each size's loss divided by PCA's error at that size.

        ``pca`` holds the training rows' principal axes: the start, whose
        error at each size every prefix must improve on. Dividing by it,
        each size counts by its error relative to PCA's, so the large
        errors of the small sizes do not drown the small ones of the large
        (PCA's error is floored at a hundredth of its first size's).
        """
        shares = np.zeros(width)
        shares[: len(pca.explained_variance_ratio)] = pca.explained_variance_ratio[:width]
        unexplained = 1.0 - np.cumsum(shares)
        floor = max(0.01 * unexplained[0], 1e-12)
        weights = 1.0 / np.maximum(unexplained, floor)
        return cls.with_weights(weights / weights.mean())

    @classmethod
    def with_weights(cls, weights):
        """Every size alike, with these loss weights (a fitted model's)."""
        return cls(np.full(len(weights), 1.0 / len(weights)), np.asarray(weights))

    @property
    def width(self):
        return len(self.probabilities)

    def draw(self, n, rng):
        """``(n, 2)`` prefix sizes: the width, then one drawn in 1..width."""
        drawn = rng.choice(self.width, size=n, p=self.probabilities) + 1
        return np.stack([np.full(n, self.width), drawn], axis=1)


@dataclass(frozen=True)
class FitPlan:
    """Every choice of one fit (or one partial_fit call), resolved."""

    model: ModelPlan
    # PCA of the training rows, as far as the fit needs it (the start's
    # standardisation and axes, a float z_dim's bound); None if not at all.
    pca: Axes | None
    # A float z_dim: the share of the variance the kept prefix must explain,
    # and whether a plain model of the size chosen is fitted then (nested=False).
    target_share: float | None
    then_plain: bool
    # init="auto" on a plain fit: if training does not beat the PCA start on
    # the validation split, a random start is tried too ("random"); else None.
    second_start: str | None
    nesting: Nesting | None  # how a nested fit trains its prefixes
    train_rows: np.ndarray
    val_rows: np.ndarray  # empty: no validation split
    batch_size: int
    epochs: int
    optimizer: str
    learning_rate: float
    schedule: str  # "cosine" or "constant"
    early_stopping: bool
    patience: int
    tol: float
    corruption: Corruption | None
    kl_scale: float | None  # the KL term's weight in the loss; None: plain
    callbacks: tuple
    verbose: int
    seed: int  # the model's seed; every other seed derives from it
    call: tuple  # () for fit; (i,) for a partial_fit call after i epochs

    def plain_refit(self, z_dim):
        """The plan of the plain model of ``z_dim`` codes that ``then_plain`` fits."""
        pca = replace(
            self.pca,
            components=self.pca.components[:z_dim],
            explained_variance_ratio=self.pca.explained_variance_ratio[:z_dim],
        )
        model = replace(self.model, z_dim=z_dim, nested=False)
        return replace(
            self, model=model, pca=pca, target_share=None, then_plain=False, nesting=None
        )

    def from_second_start(self):
        """The plan of the same fit from ``second_start`` (PCA's axes then only
        standardise the data)."""
        model = replace(self.model, start=self.second_start)
        return replace(self, model=model, second_start=None)

    def seed_for(self, purpose):
        """The seed of one purpose; batches, noise and codes differ per call."""
        per_call = purpose in ("batches", "noise", "codes")
        return derive_seed(self.seed, purpose, *(self.call if per_call else ()))


def make_plan(params, data, *, incremental=False, previous=None):
    """The plan of a fit, or of a partial_fit call (``incremental``).

    ``params`` are the estimator's parameters, ``data`` its validated
    :class:`Data`. ``previous`` is the fitted state that a partial_fit call
    continues: its networks, seed and batch size stay, the rest is read
    from ``params`` as for a new fit. Raises before anything is built.
    """
    _check_noise(params["noise"], params["noise_level"])
    if previous is None:
        _check_z_dim(params["z_dim"], params["noise"], data)
    _check_callbacks(params["callbacks"])
    _check_scale(data.value_range)
    seed = previous._seed if previous else _draw_seed(params["random_state"])
    n_val = 0 if incremental else _validation_size(params, data.n_samples)
    train_rows, val_rows = _split(data.n_samples, n_val, seed)
    target_share = None
    if previous is None:
        model = _model_plan(params, data)
        pca = _training_pca(model, params["z_dim"], data, train_rows, seed)
        if not isinstance(params["z_dim"], Integral):  # a share of the variance
            target_share = float(params["z_dim"])
            model = replace(model, z_dim=len(pca.components))
    else:
        model, pca = previous.model_plan(), None
    nesting = None
    if previous is not None and previous._prefix_weights is not None:
        nesting = Nesting.with_weights(previous._prefix_weights)
    elif model.nested:
        nesting = Nesting.relative_to_pca(pca, model.z_dim)
    batch_size = _batch_size(params["batch_size"], len(train_rows), previous)
    return FitPlan(
        model=model,
        pca=pca,
        target_share=target_share,
        then_plain=target_share is not None and not params["nested"],
        second_start=(
            "random"
            if params["init"] == "auto"
            and model.start == "pca"
            and not model.nested
            and params["early_stopping"]
            and not incremental
            and n_val
            else None
        ),
        nesting=nesting,
        train_rows=train_rows,
        val_rows=val_rows,
        batch_size=batch_size,
        epochs=1 if incremental else epoch_budget(params["epochs"], len(train_rows), batch_size),
        optimizer=params["optimizer"],
        learning_rate=float(params["learning_rate"]),
        schedule="constant" if incremental else params["learning_rate_schedule"],
        early_stopping=bool(params["early_stopping"]) and not incremental,
        patience=_patience(params["patience"], len(train_rows), batch_size),
        tol=float(params["tol"]),
        corruption=_corruption(params["noise"], params["noise_level"], data),
        # The loss is a mean over features: dividing the KL by their number
        # keeps the usual balance of a sum of squared errors against the KL.
        kl_scale=float(params["kl_weight"]) / data.n_features if model.variational else None,
        callbacks=tuple(params["callbacks"] or ()),
        verbose=int(params["verbose"]),
        seed=seed,
        call=(previous.n_iter_ if previous else 0,) if incremental else (),
    )


def _model_plan(params, data):
    image_shape = _image_shape(params["image_shape"], data)
    architecture = _architecture(params["architecture"], image_shape)
    start = _start(params["init"], architecture)
    nested = bool(params["nested"]) or not isinstance(params["z_dim"], Integral)
    variational = bool(params["variational"])
    if nested and variational:
        raise ValueError(
            "variational=True cannot train nested codes (nested=True, or a "
            f"float z_dim={params['z_dim']}); choose one"
        )
    return ModelPlan(
        input_shape=image_shape or (data.n_features,),
        image_shape=image_shape,
        architecture=architecture,
        builder=params["architecture"] if architecture == "custom" else None,
        start=start,
        output_activation=_output_activation(
            params["output_activation"], architecture, start, data.value_range
        ),
        compute_dtype=resolve_compute_dtype(
            params["compute_dtype"], architecture, data.n_features
        ),
        options=_network_options(params["hidden_units"], params["filters"], architecture),
        z_dim=int(params["z_dim"]) if isinstance(params["z_dim"], Integral) else 0,
        variational=variational,
        nested=nested,
    )


def _training_pca(model, z_dim, data, train_rows, seed):
    """PCA of the training rows, as far as the fit needs it; None if not at all.

    A PCA start needs ``z_dim`` axes, a random one the standardisation only;
    a float ``z_dim`` (a share of the variance) needs as many axes as PCA
    keeps for that share, the bound of the nested code; nested codes need
    PCA's error at every size (their weights) and the training mean (to
    measure the variance they explain).
    """
    if not isinstance(z_dim, Integral):
        n_components = z_dim
    elif model.start == "pca" or model.nested:
        n_components = int(z_dim)
    elif model.start == "random":
        n_components = 0
    else:
        return None
    return principal_axes_of(model, data.X, train_rows, n_components, seed)


def principal_axes_of(model, X, rows, n_components, seed):
    """:func:`~skae._stats.principal_axes` of ``X[rows]`` shaped as ``model`` takes it."""
    return principal_axes(
        model.model_input(X),
        rows,
        n_components,
        max_covariance_features=_MAX_COVARIANCE_FEATURES,
        seed=derive_seed(seed, "init"),
    )


def _corruption(noise, noise_level, data):
    if noise is None:
        return None
    return Corruption(noise, float(noise_level), data.value_range)


# -- checks -------------------------------------------------------------------


def _check_noise(noise, noise_level):
    if noise == "masking" and noise_level >= 1:
        raise ValueError(
            f"noise='masking' needs noise_level below 1 (the share of values "
            f"set to zero), got noise_level={noise_level}"
        )


def _check_z_dim(z_dim, noise, data):
    """Refuse a code that cannot compress, as PCA refuses ``n_components``.

    A code longer than a sample can copy it; one longer than the number of
    samples can tell each of them apart. A denoising autoencoder
    (``noise``) may have more codes than features: the noise keeps it from
    copying.
    """
    if not isinstance(z_dim, Integral):
        return
    n, n_features = data.n_samples, data.n_features
    if z_dim > n or (z_dim > n_features and noise is None):
        raise ValueError(
            f"z_dim={z_dim} must be between 1 and min(n_samples, n_features)="
            f"{min(n, n_features)} (n_samples={n}, n_features={n_features}): a "
            "longer code can copy the data rather than compress it (a denoising "
            "autoencoder, with noise set, may have more codes than features)"
        )


def _check_callbacks(callbacks):
    if not callbacks:
        return
    import keras

    for callback in callbacks:
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(
                "callbacks must hold keras.callbacks.Callback objects, got "
                f"{callback!r} of type {type(callback).__name__}"
            )


def _check_scale(value_range):
    """Refuse data so large that the float32 squared error would overflow."""
    largest = max(abs(value_range[0]), abs(value_range[1]))
    if largest > MAX_ABS_VALUE:
        raise ValueError(
            f"X holds values as large as {largest:.3g}: their squared errors "
            "would overflow the float32 arithmetic of training. Scale the "
            "data first (StandardScaler, or divide by a constant)."
        )


# -- the network ------------------------------------------------------------------


def _image_shape(image_shape, data):
    """The (H, W, C) shape of one image, or None for tabular rows."""
    if image_shape is None:
        return data.stack_shape
    shape = tuple(image_shape)
    if not (
        len(shape) in (2, 3) and all(isinstance(d, Integral) and d > 0 for d in shape)
    ):
        raise ValueError(
            "image_shape must be (height, width) or (height, width, "
            f"channels) of positive integers, got image_shape={image_shape!r}"
        )
    shape = tuple(int(d) for d in shape) + (1,) * (len(shape) == 2)
    if data.stack_shape is not None and data.stack_shape != shape:
        raise ValueError(
            f"image_shape={image_shape!r} does not match the images "
            f"in X, of shape {data.stack_shape}"
        )
    if math.prod(shape) != data.n_features:
        raise ValueError(
            f"image_shape={image_shape!r} holds {math.prod(shape)} "
            f"values per image, but X has {data.n_features} features"
        )
    return shape


def _architecture(architecture, image_shape):
    if callable(architecture):
        return "custom"
    if architecture == "auto":
        return "dense" if image_shape is None else "conv"
    if architecture in ("conv", "tutorial") and image_shape is None:
        raise ValueError(
            f"architecture={architecture!r} needs images: set "
            "image_shape, or pass X as an image stack (n, H, W[, C])"
        )
    if architecture == "tutorial" and (image_shape[0] % 4 or image_shape[1] % 4):
        raise ValueError(
            "the tutorial architecture needs image height and width that "
            f"are multiples of 4, got images of shape {image_shape}"
        )
    return architecture


def _start(init, architecture):
    """Where the networks start: "pca", "random", or None (as their builder makes them)."""
    if architecture in ("dense", "conv"):
        return "pca" if init == "auto" else init
    if init == "pca":
        network = "a custom architecture" if architecture == "custom" else "the tutorial's network"
        raise ValueError(
            f"init='pca' needs a built-in 'dense' or 'conv' network; {network} "
            "starts as its builder makes it (init='auto'). To keep the PCA start "
            "with other sizes, set hidden_units (and filters) instead"
        )
    return None


# The built-in builders' sizes, when hidden_units and filters are "auto".
DEFAULT_OPTIONS = {
    "dense": {"hidden_units": (256, 128)},
    "conv": {"hidden_units": (256,), "filters": (32, 64)},
}


def _network_options(hidden_units, filters, architecture):
    """The built-in builder's sizes, from ``hidden_units`` and ``filters``."""
    given = {"hidden_units": hidden_units, "filters": filters}
    defaults = DEFAULT_OPTIONS.get(architecture, {})
    options = {}
    for name, value in given.items():
        if value == "auto":
            if name in defaults:
                options[name] = defaults[name]
            continue
        if name not in defaults:
            takes = "the 'conv' network's" if name == "filters" else "a built-in 'dense' or 'conv' network's"
            raise ValueError(
                f"{name}={value!r} sets {takes} sizes; architecture={architecture!r} "
                f"has none to set (leave {name}='auto')"
            )
        sizes = tuple(value)
        least = 1 if name == "filters" else 0  # a dense g and h may be linear
        if len(sizes) < least or not all(
            isinstance(size, Integral) and not isinstance(size, bool) and size >= 1
            for size in sizes
        ):
            what = "one or more" if least else "zero or more"
            raise ValueError(
                f"{name} must be 'auto' or a tuple of {what} positive integers "
                f"(layer widths), got {name}={value!r}"
            )
        options[name] = tuple(int(size) for size in sizes)
    return options


def _output_activation(output_activation, architecture, start, value_range):
    if architecture == "custom":
        return None
    if output_activation == "sigmoid" and start == "pca":
        raise ValueError(
            "output_activation='sigmoid' cannot start at PCA's "
            "reconstruction; use output_activation='clip' (or 'auto'), "
            "or init='random'"
        )
    if output_activation != "auto":
        return output_activation
    if architecture == "tutorial":
        return "sigmoid"  # as the tutorial writes it
    if not (value_range[0] >= 0 and value_range[1] <= 1):
        return "linear"
    return "clip" if start == "pca" else "sigmoid"


def resolve_compute_dtype(compute_dtype, architecture, n_features):
    """``compute_dtype``, or for "auto" bfloat16 where it pays and is native."""
    if compute_dtype != "auto":
        return compute_dtype
    # Dense networks, and convolutions over small images, compute too
    # little for bfloat16 to save time; it would only cost precision.
    if architecture not in ("conv", "tutorial") or n_features < _BFLOAT16_MIN_PIXELS:
        return "float32"
    import keras

    from ._hardware import native_bfloat16

    return "bfloat16" if native_bfloat16(keras.backend.backend()) else "float32"


# -- the data and the budget ------------------------------------------------------


def _patience(patience, n_train, batch_size):
    """``patience`` in epochs; "auto" is 10 epochs, or at least 1,000 steps."""
    if patience != "auto":
        return int(patience)
    steps_per_epoch = max(1, n_train // batch_size)
    return max(_AUTO_PATIENCE_EPOCHS, math.ceil(_MIN_PATIENCE_STEPS / steps_per_epoch))


def _validation_size(params, n_samples):
    """The validation rows: ``validation_fraction`` of them, or for "auto" a
    tenth, at least 100, at most three tenths."""
    fraction = params["validation_fraction"]
    if fraction == "auto":
        n_val = max(
            math.ceil(0.1 * n_samples),
            min(_MIN_AUTO_VALIDATION, math.ceil(0.3 * n_samples)),
        )
    else:
        n_val = math.ceil(fraction * n_samples)
    if n_samples - n_val < 1:
        raise ValueError(
            f"validation_fraction={fraction} leaves no training sample with "
            f"n_samples={n_samples}; pass more samples or set validation_fraction=0"
        )
    return n_val


def _split(n_samples, n_val, seed):
    """Training and validation rows, each sorted, drawn from the split's seed."""
    order = np.random.default_rng(derive_seed(seed, "split")).permutation(n_samples)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _batch_size(batch_size, n_train, previous):
    """``batch_size``; "auto" keeps a fitted model's, else sizes by the data."""
    if batch_size != "auto":
        return int(batch_size)
    if previous is not None:  # partial_fit's chunks may differ in size
        return previous.batch_size_
    return _LARGE_BATCH if n_train >= _LARGE_DATA else _SMALL_BATCH


def epoch_budget(epochs, n_train, batch_size, steps=_AUTO_STEPS):
    """``epochs``, or for "auto" about ``steps`` steps, between 10 and 200 epochs."""
    if epochs != "auto":
        return int(epochs)
    steps_per_epoch = max(1, n_train // batch_size)  # full batches only
    return int(
        np.clip(math.ceil(steps / steps_per_epoch), _MIN_AUTO_EPOCHS, _MAX_AUTO_EPOCHS)
    )


def auto_epochs(params, n_samples, steps):
    """The epochs that ``epochs="auto"`` gives a fit of ``n_samples`` samples
    with these ``params``, for a budget of about ``steps`` gradient steps."""
    n_train = n_samples - _validation_size(params, n_samples)
    batch_size = _batch_size(params["batch_size"], n_train, previous=None)
    return epoch_budget("auto", n_train, batch_size, steps)


def _draw_seed(random_state):
    """The model's one seed, from ``random_state``; every other derives from it."""
    return int(check_random_state(random_state).randint(_SEED_MAX))


def derive_seed(seed, stream, *counters):
    """A seed for one purpose (and call), from the model's seed."""
    sequence = np.random.SeedSequence(seed, spawn_key=(SEED_STREAMS[stream], *counters))
    return int(sequence.generate_state(1)[0] % _SEED_MAX)
