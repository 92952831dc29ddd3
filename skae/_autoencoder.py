"""AutoencoderTransformer: a scikit-learn transformer around a Keras autoencoder."""

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _get_feature_names,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._stats import draw_near, per_sample_squared_error, principal_axes

_ARCHITECTURES = {"auto", "dense", "conv", "tutorial"}
_SEED_MAX = np.iinfo(np.int32).max
# Every seed of a fit derives from one model seed and the purpose it serves,
# each purpose a stream of its own (numpy's SeedSequence spawn keys), so no
# two purposes can ever draw the same numbers.
_SEED_STREAMS = {
    "init": 1,
    "split": 2,
    "batches": 3,
    "noise": 4,
    "sampling": 5,
    "codes": 6,
}
# Codes kept for sample(): enough for a kernel density in a few dimensions,
# few enough that encoding them costs a fraction of a percent of a fit.
_N_TRAINING_CODES = 2_000
# Beyond this many features the principal axes come from a sample of rows
# (a covariance matrix of 4096**2 float64 already takes 128 MB).
_MAX_COVARIANCE_FEATURES = 4096
# Data beyond this magnitude would overflow the float32 squared error.
_MAX_ABS_VALUE = 1e15
# bfloat16 was measured faster from MNIST's 28x28 images on.
_BFLOAT16_MIN_PIXELS = 28 * 28
_KERAS_DTYPE_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}


@dataclass
class _Plan:
    """What a fit will do, resolved from the parameters and validated ``X``."""

    X: np.ndarray  # model-shaped (n, *input_shape), float32 or float64
    n_features: int
    feature_names: object
    image_shape: tuple
    input_shape: tuple
    architecture: str
    output_activation: str
    compute_dtype: str
    z_dim: int
    batch_size: int
    epochs: int
    seed: int
    train_rows: np.ndarray
    val_rows: np.ndarray


class AutoencoderTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Nonlinear dimensionality reduction with a Keras autoencoder.

    An encoder network maps each sample to a code of ``z_dim`` numbers and a
    decoder maps the code back; both are trained together to reconstruct the
    input (mean squared error). It is used like :class:`~sklearn.decomposition.PCA`:
    ``transform`` returns the codes and ``inverse_transform`` the
    reconstructions, as flat rows.

    By default (``init="pca"``) the model starts as PCA: a linear path
    initialised with PCA's components carries the code, and the networks add
    a nonlinear correction that starts at zero. Training keeps the best
    epoch, counting the start, so on its validation data a fit never ends
    worse than PCA.

    Parameters
    ----------
    z_dim : int, default=10
        Size of the latent code, the number of output features of
        ``transform``.

    image_shape : tuple of int, default=None
        ``(height, width)`` or ``(height, width, channels)``: the rows of a
        2-D ``X`` are images flattened in C order. Image stacks
        ``(n, H, W)`` or ``(n, H, W, C)`` passed to ``fit`` set it on their
        own. None with flat rows means tabular data.

    architecture : {"auto", "dense", "conv", "tutorial"} or callable, default="auto"
        - ``"dense"``: a multilayer perceptron (:func:`skae.architectures.dense_autoencoder`);
        - ``"conv"``: a convolutional network for images of any size
          (:func:`skae.architectures.conv_autoencoder`);
        - ``"auto"``: ``"conv"`` when an image shape is known, else ``"dense"``;
        - ``"tutorial"``: the reference MNIST tutorial's network, layer by
          layer (:func:`skae.architectures.tutorial_autoencoder`), as the
          tutorial builds it (``init`` does not apply);
        - a callable ``(input_shape, z_dim) -> (encoder, decoder)`` returning
          two ``keras.Model`` objects, for your own network, used as it is
          (``init`` does not apply). ``input_shape`` is ``(H, W, C)`` for
          images and ``(n_features,)`` otherwise. Seed its initializers
          yourself for reproducible fits. With ``variational=True`` its
          encoder must output ``2 * z_dim`` values, means then log-variances.

    init : {"pca", "random"}, default="pca"
        How the built-in ``"dense"`` and ``"conv"`` models start.
        ``"pca"``: a linear path from PCA's components (fitted on the
        training split) plus the network, whose last layers start at zero, so
        the untrained model reconstructs exactly as PCA does. ``"random"``:
        the network alone, with seeded Glorot-uniform weights. Both feed the
        network standardised data (the training mean removed, divided by one
        overall scale), so training does not depend on the data's units.

    output_activation : {"auto", "clip", "sigmoid", "linear"}, default="auto"
        The built-in decoders' output. ``"clip"``: linear, clipped to [0, 1]
        when predicting (training sees the unclipped values, so no gradient
        is lost); ``"sigmoid"``: squashed into (0, 1), which cannot start at
        PCA (``init="random"`` only); ``"linear"``: unbounded, for
        standardised features. ``"auto"`` picks ``"clip"`` (``"sigmoid"``
        with ``init="random"``) when the training data lie in [0, 1], and
        ``"linear"`` otherwise. Ignored for a callable ``architecture``.

    epochs : int or "auto", default="auto"
        The training budget: the most passes over the training data, over
        which the learning rate schedule is planned. ``"auto"`` gives about
        4,000 gradient steps, at least 10 and at most 200 epochs (10 epochs
        of 60,000 MNIST images, 200 of a few hundred rows).

    batch_size : int or "auto", default="auto"
        Samples per gradient step (and per prediction batch). ``"auto"``
        takes 128 from 10,000 training samples on, and 32 below, where more
        (smaller) steps per epoch train better.

    optimizer : {"adam", "adamw", "nadam", "rmsprop", "sgd"}, default="adam"
        Keras optimizer, created fresh for each ``fit``.

    learning_rate : float, default=2e-3
        The optimizer's peak learning rate.

    learning_rate_schedule : {"cosine", "constant"}, default="cosine"
        ``"cosine"`` warms up over the first 100 steps (a tenth of them in
        short fits), then lowers the rate at every step along half a cosine
        to zero at the end of ``epochs``. Set ``epochs`` to the training you
        mean to do: a fit that early stopping ends long before never reaches
        the low rates. Each :meth:`partial_fit` call is one epoch at
        ``learning_rate``. Choose ``"constant"`` when ``callbacks`` hold a
        learning-rate callback of your own.

    validation_fraction : float in [0, 1), default=0.1
        Share of the training data held out, at random, to monitor the
        validation loss; 0 trains on everything and monitors the training loss.

    early_stopping : bool, default=True
        Keep the weights of the best epoch (the model before training
        counts as epoch 0) and stop when the monitored loss has not improved
        by ``tol`` for ``patience`` epochs. False trains every epoch and
        keeps the last.

    patience : int, default=10
        Epochs without improvement before early stopping ends training.

    tol : float, default=1e-3
        Relative improvement of the monitored loss that counts as one, as
        ``tol`` in scikit-learn's MLP: an epoch improves on the best loss
        ``b`` when its loss is below ``b * (1 - tol)``.

    compute_dtype : {"auto", "float32", "bfloat16"}, default="auto"
        Precision of the built-in convolutional networks' arithmetic.
        ``"bfloat16"`` computes in bfloat16 with float32 weights (Keras's
        ``"mixed_bfloat16"``); codes and reconstructions are float32 either
        way. ``"auto"`` chooses bfloat16 where the hardware computes it
        natively (GPUs of compute capability 8.0 on; CPUs with AMX or
        AVX512-BF16 under TensorFlow), float32 elsewhere and for dense
        networks and images under 28x28 pixels. Set ``"float32"`` to get
        the same codes on every machine.

    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks (``ModelCheckpoint``, ``TensorBoard``, ...),
        passed to ``fit`` as they are; the list itself is not modified.

    noise : {"gaussian", "masking"} or None, default=None
        Train a denoising autoencoder: corrupt the inputs during ``fit``
        only, with the clean data as targets. ``"gaussian"`` adds noise of
        standard deviation ``noise_level`` (clipped to the range of the
        training data); ``"masking"`` sets a ``noise_level`` share of the
        values to zero. ``transform`` and ``inverse_transform`` never add
        noise.

    noise_level : float, default=0.1
        Standard deviation (``"gaussian"``) or share of masked values
        (``"masking"``, below 1).

    variational : bool, default=False
        Train a variational autoencoder: the encoder gives the mean and
        log-variance of a Gaussian over codes, a code is drawn from it in
        training, and a KL term pulls that Gaussian towards the standard
        normal, which then serves as the prior for :meth:`sample`.
        ``transform`` returns the means.

    kl_weight : float, default=1.0
        Weight of the KL term against the sum of squared reconstruction
        errors (``variational=True`` only); larger values give a smoother,
        blurrier latent space.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the validation split, the order of the
        batches, the training noise and the codes kept for :meth:`sample`.
        An int gives the same codes in any process on the same machine.

    verbose : int, default=0
        0 is silent; 1 prints one line per epoch (losses, seconds, the time
        left) and why training stopped; 2 adds Keras's own progress output.

    Attributes
    ----------
    encoder_ : keras.Model
        Maps ``(n, *input_shape_)`` inputs to ``(n, z_dim)`` codes; for a
        variational model to ``(n, 2 * z_dim)`` means and log-variances.

    decoder_ : keras.Model
        Maps codes back to ``(n, *input_shape_)``.

    history_ : dict of str to list of float
        ``loss``, ``val_loss`` and ``learning_rate`` per epoch.

    n_iter_ : int
        Number of epochs run.

    best_epoch_ : int or None
        The epoch whose weights were kept, 0 for the model before training
        (PCA's reconstruction with ``init="pca"``); None without early
        stopping, which keeps the last epoch.

    max_epochs_ : int
        The epoch budget: ``epochs``, or what ``epochs="auto"`` chose.

    image_shape_ : tuple of int or None
        ``(H, W, C)`` of the images the model was fitted on, or None for
        tabular rows.

    input_shape_ : tuple of int
        Shape of one sample as the Keras models see it.

    architecture_ : str
        The architecture used: ``"dense"``, ``"conv"``, ``"tutorial"`` or
        ``"custom"``.

    output_activation_ : str or None
        The built-in decoder's output (None for a custom one).

    compute_dtype_ : str
        ``"float32"`` or ``"bfloat16"``: the precision the networks compute in.

    training_codes_ : ndarray of shape (n_codes, z_dim) or None
        Codes of a random sample of (at most 2,000) training samples, from
        which :meth:`sample` draws; None for a variational model, whose
        prior is the standard normal.

    n_features_in_ : int
        Number of features (pixels times channels) seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when ``X`` has string
        column names.

    See Also
    --------
    sklearn.decomposition.PCA : The linear counterpart.
    skae.metrics.reconstruction_error : Compare this with PCA on equal terms.

    Notes
    -----
    ``fit`` is all or nothing: whatever fails (bad input, an exception or
    ``KeyboardInterrupt`` in training, a loss that turns NaN, which raises
    :class:`skae.exceptions.DivergenceError`) leaves an earlier fitted model
    exactly as it was. After ``fit``, ``transform`` and the other methods
    follow the fitted model only; ``set_params`` takes effect at the next
    ``fit``.

    References
    ----------
    G. E. Hinton and R. R. Salakhutdinov, "Reducing the dimensionality of data
    with neural networks", Science 313 (2006), 504-507.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> X = load_digits().data / 16
    >>> ae = AutoencoderTransformer(z_dim=5, epochs=3, random_state=0)
    >>> Z = ae.fit_transform(X)
    >>> Z.shape
    (1797, 5)
    >>> ae.inverse_transform(Z).shape
    (1797, 64)
    """

    _parameter_constraints: ClassVar[dict] = {
        "z_dim": [Interval(Integral, 1, None, closed="left")],
        "image_shape": [tuple, list, None],
        "architecture": [StrOptions(_ARCHITECTURES), callable],
        "init": [StrOptions({"pca", "random"})],
        "output_activation": [StrOptions({"auto", "clip", "sigmoid", "linear"})],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "optimizer": [StrOptions({"adam", "adamw", "nadam", "rmsprop", "sgd"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"cosine", "constant"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, 1, closed="left")],
        "compute_dtype": [StrOptions({"auto", "float32", "bfloat16"})],
        "callbacks": [list, None],
        "noise": [StrOptions({"gaussian", "masking"}), None],
        "noise_level": [Interval(Real, 0, None, closed="left")],
        "variational": ["boolean"],
        "kl_weight": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        z_dim=10,
        *,
        image_shape=None,
        architecture="auto",
        init="pca",
        output_activation="auto",
        epochs="auto",
        batch_size="auto",
        optimizer="adam",
        learning_rate=2e-3,
        learning_rate_schedule="cosine",
        validation_fraction=0.1,
        early_stopping=True,
        patience=10,
        tol=1e-3,
        compute_dtype="auto",
        callbacks=None,
        noise=None,
        noise_level=0.1,
        variational=False,
        kl_weight=1.0,
        random_state=None,
        verbose=0,
    ):
        self.z_dim = z_dim
        self.image_shape = image_shape
        self.architecture = architecture
        self.init = init
        self.output_activation = output_activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.tol = tol
        self.compute_dtype = compute_dtype
        self.callbacks = callbacks
        self.noise = noise
        self.noise_level = noise_level
        self.variational = variational
        self.kl_weight = kl_weight
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the encoder and decoder to reconstruct ``X``.

        All or nothing: until training has ended and every fitted attribute
        is computed, nothing of ``self`` changes, so a failure leaves an
        earlier model as it was.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or an image stack \
                of shape (n_samples, H, W) or (n_samples, H, W, C)
            Training data. Pixels are best scaled to [0, 1]; tabular features
            are best standardised.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : AutoencoderTransformer
            The fitted estimator.
        """
        plan = self._plan(X, self.validation_fraction)
        self._commit(self._train_new_model(plan))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one pass over a chunk of data, as ``IncrementalPCA`` does.

        The first call builds the model (starting at PCA of the first chunk
        with ``init="pca"``); later calls (and calls after :meth:`fit`)
        continue training it, keeping the optimizer's state, so data that do
        not fit in memory can be streamed in chunks (from a memory map, say).
        Each chunk is validated like the data of ``fit``. There is no
        validation split and no early stopping: you decide when to stop.
        Each call is all or nothing too: if it fails, the weights, the
        optimizer's state and every fitted attribute are as before the call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image stack
        y : None
            Ignored.

        Returns
        -------
        self : AutoencoderTransformer
        """
        if not hasattr(self, "encoder_"):
            plan = self._plan(X, validation_fraction=0, epochs=1)
            self._commit(self._train_new_model(plan, incremental=True))
            return self
        X_model = self._check_fitted_X(X)
        self._check_callbacks()
        self._commit(self._train_on(X_model))
        return self

    def transform(self, X):
        """Encode ``X`` into latent codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image stack
            Data shaped like the training data.

        Returns
        -------
        Z : ndarray of shape (n_samples, z_dim), float32
            The codes.
        """
        return self._encode(self._check_fitted_X(X))

    def inverse_transform(self, X):
        """Decode latent codes back to data space.

        Parameters
        ----------
        X : array-like of shape (n_samples, z_dim)
            Codes, as ``transform`` returns them.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, n_features), float32
            Reconstructions as flat rows (images flattened in C order).
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=np.float32, estimator=self, input_name="X")
        if Z.shape[1] != self._z_dim:
            raise ValueError(
                f"inverse_transform expects codes with z_dim={self._z_dim} "
                f"columns, got an array with {Z.shape[1]} columns"
            )
        return self._decode(Z)

    def score_samples(self, X):
        """Minus the reconstruction error of each sample.

        Higher is better; usable as an anomaly score (low values flag inputs
        unlike the training data).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image stack

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Minus the mean squared error over features, per sample.
        """
        X_model = self._check_fitted_X(X)
        # Chunks keep the memory to the scores plus one chunk's codes and
        # reconstructions, whatever the size of X.
        chunk = 8 * self._batch_size
        errors = np.empty(len(X_model))
        for start in range(0, len(X_model), chunk):
            part = X_model[start : start + chunk]
            errors[start : start + len(part)] = per_sample_squared_error(
                part, self._decode(self._encode(part))
            )
        return -errors

    def score(self, X, y=None):
        """Minus the mean squared reconstruction error of ``X``.

        ``GridSearchCV`` with no ``scoring`` therefore ranks candidates by
        how well they reconstruct held-out data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image stack
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples=1, random_state=None):
        """Generate new samples by decoding codes drawn from the latent space.

        A plain autoencoder draws codes from a Gaussian kernel density around
        ``training_codes_`` (a training code plus noise shaped like the
        codes' covariance, scaled by Scott's rule), so samples land where
        the data live; a variational one draws them from its prior, the
        standard normal.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            Seeds the draw (independently of the estimator's own).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features), float32
            Decoded samples as flat rows.
        """
        check_is_fitted(self)
        if not (isinstance(n_samples, Integral) and n_samples >= 1):
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        rng = check_random_state(random_state)
        if self.training_codes_ is None:
            Z = rng.standard_normal((int(n_samples), self._z_dim))
        else:
            Z = draw_near(self.training_codes_, int(n_samples), rng)
        return self._decode(Z.astype(np.float32))

    @property
    def _n_features_out(self):
        return self._z_dim

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        # The networks compute in float32; float64 input is converted batch
        # by batch.
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # -- saving: plain data, rebuilt by skae's code ----------------------------

    def __getstate__(self):
        # The Keras models leave as weights plus a recipe (or, for a custom
        # architecture, a Keras config): plain data that skops can store
        # without pickling, and that loads under any Keras backend.
        state = dict(super().__getstate__())  # a copy: it may be self.__dict__
        for key in ("encoder_", "decoder_", "_training_model"):
            state.pop(key, None)
        if "encoder_" in self.__dict__:
            from . import _model

            state["_keras_state"] = _model.to_state(
                self.encoder_, self.decoder_, self._recipe
            )
        return state

    def __setstate__(self, state):
        # skops calls this: nothing from the file runs; a custom model's
        # config is read with Keras's safe mode (no Lambda layers).
        self._restore(state, safe_mode=True)

    def __reduce_ex__(self, protocol):
        # pickle trusts the file anyway (it runs code on load), so a custom
        # model's Lambda layers load as they were saved.
        return (_unpickle, (type(self), self.__getstate__()))

    def _restore(self, state, safe_mode):
        state = dict(state)
        keras_state = state.pop("_keras_state", None)
        super().__setstate__(state)
        if keras_state is not None:
            from . import _model

            self.encoder_, self.decoder_ = _model.from_state(
                keras_state, self._recipe, safe_mode=safe_mode
            )

    # -- plan: validate and resolve, touching nothing --------------------------

    def _plan(self, X, validation_fraction, epochs=None):
        """Validate ``X`` and resolve every choice of a new fit; ``self`` is unchanged."""
        if self.noise == "masking" and self.noise_level >= 1:
            raise ValueError(
                f"noise='masking' needs noise_level below 1 (the share of values "
                f"set to zero), got noise_level={self.noise_level}"
            )
        self._check_callbacks()
        X_flat, stack_shape = self._check_X(X)
        value_range = (float(np.min(X_flat)), float(np.max(X_flat)))
        _check_scale(value_range)
        image_shape = self._resolve_image_shape(stack_shape, X_flat.shape[1])
        architecture = self._resolve_architecture(image_shape)
        output_activation = self._resolve_output_activation(value_range, architecture)
        input_shape = image_shape or (X_flat.shape[1],)
        # One seed from random_state; every other seed derives from it.
        seed = int(check_random_state(self.random_state).randint(_SEED_MAX))
        n_samples = len(X_flat)
        n_val = self._validation_size(n_samples, validation_fraction)
        order = np.random.default_rng(_derive_seed(seed, "split")).permutation(
            n_samples
        )
        train_rows = np.sort(order[n_val:])
        batch_size = _batch_size(self.batch_size, len(train_rows))
        return _Plan(
            X=X_flat.reshape(-1, *input_shape),
            n_features=X_flat.shape[1],
            feature_names=_get_feature_names(X),
            image_shape=image_shape,
            input_shape=input_shape,
            architecture=architecture,
            output_activation=output_activation,
            compute_dtype=self._resolve_compute_dtype(architecture, X_flat.shape[1]),
            z_dim=int(self.z_dim),
            batch_size=batch_size,
            epochs=epochs or _epoch_budget(self.epochs, len(train_rows), batch_size),
            seed=seed,
            train_rows=train_rows,
            val_rows=np.sort(order[:n_val]),
        )

    def _check_callbacks(self):
        import keras

        for callback in self.callbacks or []:
            if not isinstance(callback, keras.callbacks.Callback):
                raise TypeError(
                    "callbacks must hold keras.callbacks.Callback objects, got "
                    f"{callback!r} of type {type(callback).__name__}"
                )

    def _check_X(self, X):
        """Validate ``X`` without touching ``self``.

        Returns the data as flat rows (float32, or float64 as given: the
        networks cast batch by batch) and, when ``X`` was an image stack, the
        shape ``(H, W, C)`` of one image.
        """
        try:
            X_array = check_array(
                X,
                dtype=[np.float32, np.float64],
                allow_nd=True,
                estimator=self,
                input_name="X",
            )
        except ValueError as exc:
            if "could not convert" in str(exc):
                raise ValueError(
                    f"{type(self).__name__} needs numeric input: {exc}"
                ) from None
            raise
        if X_array.ndim > 4:
            raise ValueError(
                "X must be 2-D rows or an image stack (n, H, W) or (n, H, W, C); "
                f"got an array with {X_array.ndim} dimensions"
            )
        if X_array.ndim == 2:
            return X_array, None
        stack_shape = X_array.shape[1:] + (1,) * (X_array.ndim == 3)
        return X_array.reshape(len(X_array), -1), stack_shape

    def _resolve_image_shape(self, stack_shape, n_features):
        """The (H, W, C) shape of one image, or None for tabular rows."""
        if self.image_shape is None:
            return stack_shape
        shape = tuple(self.image_shape)
        if not (
            len(shape) in (2, 3)
            and all(isinstance(d, Integral) and d > 0 for d in shape)
        ):
            raise ValueError(
                "image_shape must be (height, width) or (height, width, "
                f"channels) of positive integers, got image_shape={self.image_shape!r}"
            )
        shape = tuple(int(d) for d in shape) + (1,) * (len(shape) == 2)
        if stack_shape is not None and stack_shape != shape:
            raise ValueError(
                f"image_shape={self.image_shape!r} does not match the images "
                f"in X, of shape {stack_shape}"
            )
        if math.prod(shape) != n_features:
            raise ValueError(
                f"image_shape={self.image_shape!r} holds {math.prod(shape)} "
                f"values per image, but X has {n_features} features"
            )
        return shape

    def _resolve_architecture(self, image_shape):
        if callable(self.architecture):
            return "custom"
        if self.architecture == "auto":
            return "dense" if image_shape is None else "conv"
        if self.architecture in ("conv", "tutorial") and image_shape is None:
            raise ValueError(
                f"architecture={self.architecture!r} needs images: set "
                "image_shape, or pass X as an image stack (n, H, W[, C])"
            )
        if self.architecture == "tutorial" and (
            image_shape[0] % 4 or image_shape[1] % 4
        ):
            raise ValueError(
                "the tutorial architecture needs image height and width that "
                f"are multiples of 4, got images of shape {image_shape}"
            )
        return self.architecture

    def _validation_size(self, n_samples, validation_fraction):
        n_val = math.ceil(validation_fraction * n_samples)
        if n_samples - n_val < 1:
            raise ValueError(
                f"validation_fraction={validation_fraction} leaves no "
                f"training sample with n_samples={n_samples}; pass more "
                "samples or set validation_fraction=0"
            )
        return n_val

    def _resolve_output_activation(self, value_range, architecture):
        if architecture == "custom":
            return None
        starts_at_pca = self.init == "pca" and architecture != "tutorial"
        if self.output_activation == "sigmoid" and starts_at_pca:
            raise ValueError(
                "output_activation='sigmoid' cannot start at PCA's "
                "reconstruction; use output_activation='clip' (or 'auto'), "
                "or init='random'"
            )
        if self.output_activation != "auto":
            return self.output_activation
        if architecture == "tutorial":
            return "sigmoid"  # as the tutorial writes it
        if not (value_range[0] >= 0 and value_range[1] <= 1):
            return "linear"
        return "clip" if starts_at_pca else "sigmoid"

    def _resolve_compute_dtype(self, architecture, n_features):
        if self.compute_dtype != "auto":
            return self.compute_dtype
        # Dense networks, and convolutions over small images, compute too
        # little for bfloat16 to save time; it would only cost precision.
        if architecture not in ("conv", "tutorial") or n_features < _BFLOAT16_MIN_PIXELS:
            return "float32"
        import keras

        from ._hardware import native_bfloat16

        return "bfloat16" if native_bfloat16(keras.backend.backend()) else "float32"

    # -- train: build into locals, train, return what to commit ----------------

    def _train_new_model(self, plan, incremental=False):
        """Build and train a new model for ``plan``; the fitted attributes to commit."""
        from . import _model

        recipe, loss_scale = None, 1.0
        if plan.architecture == "custom":
            encoder, decoder = self.architecture(plan.input_shape, plan.z_dim)
            _check_custom_models(
                encoder, decoder, plan.input_shape, plan.z_dim, self.variational
            )
        else:
            recipe = {
                "builder": plan.architecture,
                "input_shape": plan.input_shape,
                "z_dim": plan.z_dim,
                "variational": bool(self.variational),
                "init": self.init,
                "output": plan.output_activation,
                "seed": _derive_seed(plan.seed, "init"),
                "dtype": _KERAS_DTYPE_POLICIES[plan.compute_dtype],
            }
            encoder, decoder = _model.build(recipe)
            if plan.architecture != "tutorial":
                scale = self._start_at_pca(encoder, decoder, plan, plan.train_rows)
                # The loss on the standardised scale: training sees the same
                # numbers whatever the units of the data.
                loss_scale = 1.0 / scale**2
        kl_scale = _kl_scale(self.kl_weight, plan.n_features, self.variational)
        training_model = self._build_training_model(
            encoder, decoder, kl_scale, plan.seed, loss_scale
        )
        val_rows = plan.val_rows
        X_val = np.asarray(plan.X[val_rows], dtype=np.float32) if len(val_rows) else None
        # partial_fit's calls count from 0, each with batches of its own.
        counters = (0,) if incremental else ()
        history, best_epoch = self._run_training(
            training_model,
            encoder,
            decoder,
            plan.X,
            plan.train_rows,
            X_val,
            epochs=plan.epochs,
            schedule="constant" if incremental else self.learning_rate_schedule,
            early_stopping=self.early_stopping and not incremental,
            seed=plan.seed,
            counters=counters,
            kl_scale=kl_scale,
            batch_size=plan.batch_size,
        )
        if best_epoch == 0 and recipe is not None and plan.architecture != "tutorial":
            # Training never beat its start, so the model is PCA: make it
            # PCA of all the data, the validation split included.
            self._start_at_pca(encoder, decoder, plan, np.arange(len(plan.X)))
        fitted = {
            "encoder_": encoder,
            "decoder_": decoder,
            "history_": history,
            "n_iter_": len(history.get("loss", [])),
            "best_epoch_": best_epoch,
            "max_epochs_": plan.epochs,
            "image_shape_": plan.image_shape,
            "input_shape_": plan.input_shape,
            "architecture_": plan.architecture,
            "output_activation_": plan.output_activation,
            "compute_dtype_": plan.compute_dtype,
            "training_codes_": None,
            "n_features_in_": plan.n_features,
            # What predicting needs, fixed at fit as PCA fixes components_.
            "_z_dim": plan.z_dim,
            "_variational": bool(self.variational),
            "_batch_size": plan.batch_size,
            "_seed": plan.seed,
            "_loss_scale": loss_scale,
            "_recipe": recipe,
            "_training_model": training_model,
        }
        if plan.feature_names is not None:
            fitted["feature_names_in_"] = plan.feature_names
        if not self.variational:
            fitted["training_codes_"] = _training_codes(
                encoder,
                plan.X,
                plan.train_rows,
                plan.z_dim,
                plan.batch_size,
                _derive_seed(plan.seed, "codes"),
            )
        return fitted

    def _start_at_pca(self, encoder, decoder, plan, rows):
        """Set a built-in model's standardisation (and PCA path) from ``X[rows]``.

        Returns the data's overall scale.
        """
        from . import _model

        mean, scale, components = principal_axes(
            plan.X,
            rows,
            plan.z_dim if self.init == "pca" else 0,
            max_covariance_features=_MAX_COVARIANCE_FEATURES,
            seed=_derive_seed(plan.seed, "init"),
        )
        _model.set_pca(encoder, decoder, mean, scale, components)
        return scale

    def _train_on(self, X_model):
        """One more epoch of the fitted model on ``X_model``, for partial_fit.

        The weights and the optimizer's state are put back if it fails.
        """
        kl_scale = _kl_scale(self.kl_weight, self.n_features_in_, self._variational)
        model = self.__dict__.get("_training_model")
        if model is None:  # not saved with the estimator: a fresh optimizer
            model = self._build_training_model(
                self.encoder_, self.decoder_, kl_scale, self._seed, self._loss_scale
            )
        weights = model.get_weights()
        optimizer_state = [np.array(v) for v in model.optimizer.variables]
        try:
            history, _ = self._run_training(
                model,
                self.encoder_,
                self.decoder_,
                X_model,
                np.arange(len(X_model)),
                None,
                epochs=1,
                schedule="constant",
                early_stopping=False,
                seed=self._seed,
                counters=(self.n_iter_,),
                kl_scale=kl_scale,
                # "auto" keeps the first call's size: chunks may differ in size.
                batch_size=(
                    self._batch_size
                    if self.batch_size == "auto"
                    else int(self.batch_size)
                ),
            )
            codes = self.training_codes_
            if codes is not None:
                codes = _training_codes(
                    self.encoder_,
                    X_model,
                    np.arange(len(X_model)),
                    self._z_dim,
                    self._batch_size,
                    _derive_seed(self._seed, "codes", self.n_iter_),
                )
        except BaseException:
            model.set_weights(weights)
            for variable, value in zip(model.optimizer.variables, optimizer_state):
                variable.assign(value)
            raise
        history = {
            key: self.history_.get(key, []) + values for key, values in history.items()
        }
        return {
            "history_": history,
            "n_iter_": self.n_iter_ + 1,
            "training_codes_": codes,
            "_training_model": model,
        }

    def _build_training_model(self, encoder, decoder, kl_scale, seed, loss_scale):
        from . import _training

        return _training.build_training_model(
            encoder,
            decoder,
            optimizer=self.optimizer,
            learning_rate=float(self.learning_rate),
            kl_scale=kl_scale,
            seed=_derive_seed(seed, "sampling"),
            loss_scale=loss_scale,
        )

    def _run_training(
        self,
        model,
        encoder,
        decoder,
        X,
        rows,
        X_val,
        *,
        epochs,
        schedule,
        early_stopping,
        seed,
        counters,
        kl_scale,
        batch_size,
    ):
        from . import _training

        return _training.train(
            model,
            encoder,
            decoder,
            X,
            rows=rows,
            X_val=X_val,
            batch_size=batch_size,
            epochs=int(epochs),
            learning_rate=float(self.learning_rate),
            schedule=schedule,
            early_stopping=early_stopping,
            patience=int(self.patience),
            tol=float(self.tol),
            callbacks=self.callbacks or [],
            verbose=int(self.verbose),
            seed=_derive_seed(seed, "batches", *counters),
            noise=self.noise,
            noise_level=float(self.noise_level),
            noise_seed=_derive_seed(seed, "noise", *counters),
            kl_scale=kl_scale,
        )

    # -- commit: the one place a fit writes fitted attributes ------------------

    def _commit(self, fitted):
        if "n_features_in_" in fitted and "feature_names_in_" not in fitted:
            self.__dict__.pop("feature_names_in_", None)
        self.__dict__.update(fitted)

    # -- fitted model in use ----------------------------------------------------

    def _check_fitted_X(self, X):
        """Validate ``X`` against the fitted model; return it in model shape."""
        check_is_fitted(self)
        X_flat, stack_shape = self._check_X(X)
        if stack_shape is not None and stack_shape != self.image_shape_:
            raise ValueError(
                f"X holds images of shape {stack_shape}, but this estimator was "
                f"fitted on images of shape {self.image_shape_}"
            )
        validate_data(
            self,
            X if stack_shape is None else X_flat,
            reset=False,
            skip_check_array=True,
        )
        return X_flat.reshape(-1, *self.input_shape_)

    def _encode(self, X_model):
        """Codes of model-shaped inputs: the means, for a variational model."""
        from . import _training

        Z = _training.predict(self.encoder_, X_model, self._batch_size)
        return Z[:, : self._z_dim] if Z.shape[1] != self._z_dim else Z

    def _decode(self, Z):
        """Flat reconstructions of codes."""
        from . import _training

        X_reconstructed = _training.predict(self.decoder_, Z, self._batch_size)
        return X_reconstructed.reshape(len(Z), -1)


def _training_codes(encoder, X, rows, z_dim, batch_size, seed):
    """Codes of up to 2,000 random ``rows`` of ``X``, for :meth:`sample`."""
    from . import _training

    generator = np.random.default_rng(seed)
    picked = np.sort(generator.permutation(rows)[:_N_TRAINING_CODES])
    return _training.predict(encoder, X[picked], batch_size)[:, :z_dim]


def _kl_scale(kl_weight, n_features, variational):
    """Weight of a variational model's KL term in the loss; None for a plain one.

    The loss is a mean over features: dividing the KL by their number keeps
    the usual balance of a sum of squared errors against the KL.
    """
    return float(kl_weight) / n_features if variational else None


def _unpickle(cls, state):
    estimator = cls.__new__(cls)
    estimator._restore(state, safe_mode=False)
    return estimator


def _derive_seed(seed, stream, *counters):
    """A seed for one purpose (and call), from the model's seed."""
    sequence = np.random.SeedSequence(seed, spawn_key=(_SEED_STREAMS[stream], *counters))
    return int(sequence.generate_state(1)[0] % _SEED_MAX)


def _batch_size(batch_size, n_train):
    """``batch_size``, or for "auto" 128 from 10,000 training samples on, else 32."""
    if batch_size != "auto":
        return int(batch_size)
    return 128 if n_train >= 10_000 else 32


def _epoch_budget(epochs, n_train, batch_size):
    """``epochs``, or for "auto" about 4,000 steps, between 10 and 200 epochs."""
    if epochs != "auto":
        return int(epochs)
    steps_per_epoch = max(1, n_train // batch_size)  # full batches only
    return int(np.clip(math.ceil(4000 / steps_per_epoch), 10, 200))


def _check_scale(value_range):
    """Refuse data so large that the float32 squared error would overflow."""
    largest = max(abs(value_range[0]), abs(value_range[1]))
    if largest > _MAX_ABS_VALUE:
        raise ValueError(
            f"X holds values as large as {largest:.3g}: their squared errors "
            "would overflow the float32 arithmetic of training. Scale the "
            "data first (StandardScaler, or divide by a constant)."
        )


def _check_custom_models(encoder, decoder, input_shape, z_dim, variational):
    """Refuse a custom architecture whose models do not fit together."""
    import keras

    if not (isinstance(encoder, keras.Model) and isinstance(decoder, keras.Model)):
        raise TypeError(
            "a callable architecture must return (encoder, decoder), two "
            f"keras.Model objects; got ({type(encoder).__name__}, "
            f"{type(decoder).__name__})"
        )
    code_size = 2 * z_dim if variational else z_dim
    expected = {
        "encoder input": ((None, *input_shape), encoder.input_shape),
        "encoder output": ((None, code_size), encoder.output_shape),
        "decoder input": ((None, z_dim), decoder.input_shape),
        "decoder output": ((None, *input_shape), decoder.output_shape),
    }
    for what, (want, got) in expected.items():
        if tuple(got) != want:
            raise ValueError(
                f"the custom architecture's {what} shape is {tuple(got)}, "
                f"expected {want}"
            )
