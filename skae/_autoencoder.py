"""AutoencoderTransformer: a scikit-learn transformer around a Keras autoencoder."""

import math
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
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .metrics import _per_sample_squared_error

_ARCHITECTURES = {"auto", "dense", "conv", "tutorial"}
_SEED_MAX = np.iinfo(np.int32).max
# Every seed of a fit derives from one model seed and the purpose it serves.
_SEED_STREAMS = {"split": 1, "density": 2, "chunk": 3}


class AutoencoderTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Nonlinear dimensionality reduction with a Keras autoencoder.

    An encoder network maps each sample to a code of ``z_dim`` numbers and a
    decoder maps the code back; both are trained together to reconstruct the
    input (mean squared error). It is used like :class:`~sklearn.decomposition.PCA`:
    ``transform`` returns the codes and ``inverse_transform`` the
    reconstructions, as flat rows.

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
          layer (:func:`skae.architectures.tutorial_autoencoder`);
        - a callable ``(input_shape, z_dim) -> (encoder, decoder)`` returning
          two ``keras.Model`` objects, for your own network. ``input_shape``
          is ``(H, W, C)`` for images and ``(n_features,)`` otherwise. Seed its
          initializers yourself for reproducible fits. With
          ``variational=True`` its encoder must output ``2 * z_dim`` values,
          means then log-variances.

    output_activation : {"auto", "sigmoid", "linear"}, default="auto"
        Activation of the built-in decoders' last layer. ``"auto"`` picks
        ``"sigmoid"`` when the training data lie in [0, 1] (pixels) and
        ``"linear"`` otherwise (standardised features), so any data can be
        reconstructed. Ignored for a callable ``architecture``.

    epochs : int, default=100
        Maximum number of passes over the training data.

    batch_size : int, default=128
        Samples per gradient step (and per prediction batch).

    optimizer : {"adam", "adamw", "nadam", "rmsprop", "sgd"}, default="adam"
        Keras optimizer, created fresh for each ``fit``.

    learning_rate : float, default=2e-3
        The optimizer's (initial) learning rate.

    learning_rate_schedule : {"cosine", "constant"}, default="cosine"
        ``"cosine"`` lowers the learning rate at the start of each epoch,
        along half a cosine, from ``learning_rate`` towards zero at
        ``epochs``: on MNIST it reaches a lower error than a constant rate in
        as many epochs. Set ``epochs`` to the training you mean to do: a fit
        that early stopping ends long before ``epochs`` never reaches the low
        rates. Each :meth:`partial_fit` call is one epoch at
        ``learning_rate``. Choose ``"constant"`` when ``callbacks`` hold a
        learning-rate callback of your own.

    validation_fraction : float in [0, 1), default=0.1
        Share of the training data held out, at random, to monitor the
        validation loss; 0 trains on everything and monitors the training loss.

    early_stopping : bool, default=True
        Stop when the monitored loss has not improved for ``patience``
        epochs, and restore the weights of the best epoch.

    patience : int, default=10
        Epochs without improvement before early stopping ends training.

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
        batches, the training noise and the latent density. An int gives the
        same codes in any process.

    verbose : int, default=0
        0 is silent; 1 shows Keras's progress bar, 2 one line per epoch.

    Attributes
    ----------
    encoder_ : keras.Model
        Maps ``(n, *input_shape_)`` inputs to ``(n, z_dim)`` codes; for a
        variational model to ``(n, 2 * z_dim)`` means and log-variances.

    decoder_ : keras.Model
        Maps codes back to ``(n, *input_shape_)``.

    history_ : dict of str to list of float
        Loss (and ``val_loss``, and ``learning_rate`` with the cosine
        schedule) per epoch, as recorded by Keras.

    n_iter_ : int
        Number of epochs run.

    image_shape_ : tuple of int or None
        ``(H, W, C)`` of the images the model was fitted on, or None for
        tabular rows.

    input_shape_ : tuple of int
        Shape of one sample as the Keras models see it.

    architecture_ : str
        The architecture used: ``"dense"``, ``"conv"``, ``"tutorial"`` or
        ``"custom"``.

    output_activation_ : str or None
        The built-in decoder's output activation (None for a custom one).

    latent_density_ : sklearn.mixture.GaussianMixture or None
        Density of the training codes (at most 10,000 of them), from which
        :meth:`sample` draws; None for a variational model, whose prior is
        the standard normal.

    n_features_in_ : int
        Number of features (pixels times channels) seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when ``X`` has string
        column names.

    See Also
    --------
    sklearn.decomposition.PCA : The linear counterpart.
    skae.metrics.reconstruction_error : Compare this with PCA on equal terms.

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
        "output_activation": [StrOptions({"auto", "sigmoid", "linear"})],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [StrOptions({"adam", "adamw", "nadam", "rmsprop", "sgd"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"cosine", "constant"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "patience": [Interval(Integral, 1, None, closed="left")],
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
        output_activation="auto",
        epochs=100,
        batch_size=128,
        optimizer="adam",
        learning_rate=2e-3,
        learning_rate_schedule="cosine",
        validation_fraction=0.1,
        early_stopping=True,
        patience=10,
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
        self.output_activation = output_activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
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
        X_model, n_val = self._start_model(X, self.validation_fraction)
        order = np.random.default_rng(self._derived_seed("split")).permutation(
            len(X_model)
        )
        X_val = X_model[np.sort(order[:n_val])] if n_val else None
        X_train = X_model[np.sort(order[n_val:])] if n_val else X_model
        self.history_ = self._train(
            X_train, X_val, self.epochs, self.early_stopping, self._seed
        )
        self.n_iter_ = len(self.history_["loss"])
        self.latent_density_ = self._fit_latent_density(X_train)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one pass over a chunk of data, as ``IncrementalPCA`` does.

        The first call builds the model; later calls (and calls after
        :meth:`fit`) continue training it, keeping the optimizer's state, so
        data that do not fit in memory can be streamed in chunks (from a
        memory map, say). Each chunk is validated like the data of ``fit``.
        There is no validation split and no early stopping: you decide when
        to stop. ``latent_density_`` is refitted to the codes of each chunk.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image stack
        y : None
            Ignored.

        Returns
        -------
        self : AutoencoderTransformer
        """
        if hasattr(self, "encoder_"):
            X_model = self._check_fitted_X(X)
        else:
            X_model, _ = self._start_model(X, validation_fraction=0)
            self.history_, self.n_iter_ = {}, 0
        if not hasattr(self, "_autoencoder"):  # dropped when pickled
            self._autoencoder = self._compile(self.encoder_, self.decoder_)
        # A seed for each call, so that every chunk gets a new batch order.
        seed = self._derived_seed("chunk", self.n_iter_)
        for key, values in self._train(X_model, None, 1, False, seed).items():
            self.history_.setdefault(key, []).extend(values)
        self.n_iter_ += 1
        self.latent_density_ = self._fit_latent_density(X_model)
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
        from . import _training

        check_is_fitted(self)
        Z = check_array(X, dtype=np.float32, estimator=self, input_name="X")
        if Z.shape[1] != self.z_dim:
            raise ValueError(
                f"inverse_transform expects codes with z_dim={self.z_dim} "
                f"columns, got an array with {Z.shape[1]} columns"
            )
        X_reconstructed = _training.predict(self.decoder_, Z, self.batch_size)
        return X_reconstructed.reshape(len(Z), -1)

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
        from . import _training

        X_model = self._check_fitted_X(X)
        Z = self._encode(X_model)
        X_reconstructed = _training.predict(self.decoder_, Z, self.batch_size)
        return -_per_sample_squared_error(X_model, X_reconstructed)

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

        A plain autoencoder draws the codes from ``latent_density_``, a
        Gaussian mixture fitted to the training codes, so that samples land
        where the data live; a variational one draws them from its prior, the
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
        if self.variational:
            Z = rng.standard_normal((n_samples, self.z_dim))
        else:
            Z = _sample_mixture(self.latent_density_, n_samples, rng)
        return self.inverse_transform(Z.astype(np.float32))

    @property
    def _n_features_out(self):
        return self.z_dim

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        # The networks compute in float32; float64 input is converted once.
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # -- private helpers -------------------------------------------------

    def _check_X(self, X):
        """Validate ``X`` without touching ``self``.

        Returns the data as float32 flat rows and, when ``X`` was an image
        stack, the shape ``(H, W, C)`` of one image.
        """
        try:
            X_array = check_array(
                X, dtype=np.float32, allow_nd=True, estimator=self, input_name="X"
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

    def _start_model(self, X, validation_fraction):
        """Validate ``X`` and build a new model.

        Returns ``X`` in model shape and the number of samples to hold out
        for validation.

        Everything that can reject ``X`` or the architecture runs before any
        fitted attribute is written, so a refused fit leaves an earlier model
        intact.
        """
        if self.noise == "masking" and self.noise_level >= 1:
            raise ValueError(
                f"noise='masking' needs noise_level below 1 (the share of values "
                f"set to zero), got noise_level={self.noise_level}"
            )
        X_flat, stack_shape = self._check_X(X)
        image_shape = self._resolve_image_shape(stack_shape, X_flat.shape[1])
        architecture = self._resolve_architecture(image_shape)
        n_val = self._validation_size(len(X_flat), validation_fraction)
        input_shape = image_shape or (X_flat.shape[1],)
        output_activation = self._resolve_output_activation(X_flat, architecture)
        # One seed from random_state; every other seed (initializers, split,
        # batch order, noise, sampling, density) is derived from it.
        seed = int(check_random_state(self.random_state).randint(_SEED_MAX))
        encoder, decoder = self._build(
            architecture, input_shape, output_activation, seed
        )
        validate_data(self, X if stack_shape is None else X_flat, skip_check_array=True)

        self._seed = seed
        self.encoder_, self.decoder_ = encoder, decoder
        self._autoencoder = self._compile(encoder, decoder)
        self.image_shape_ = image_shape
        self.input_shape_ = input_shape
        self.architecture_ = architecture
        self.output_activation_ = output_activation
        return X_flat.reshape(-1, *input_shape), n_val

    def _derived_seed(self, stream, *counters):
        """A seed for one purpose, derived from the seed of the current model."""
        key = [self._seed, _SEED_STREAMS[stream], *counters]
        return int(np.random.default_rng(key).integers(_SEED_MAX))

    def _compile(self, encoder, decoder):
        from . import _training

        return _training.build_autoencoder(
            encoder,
            decoder,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            kl_weight=self.kl_weight if self.variational else None,
            seed=self._seed,
        )

    def _train(self, X_train, X_val, epochs, early_stopping, seed):
        from . import _training

        return _training.train(
            self._autoencoder,
            X_train,
            X_val,
            batch_size=self.batch_size,
            epochs=epochs,
            learning_rate=self.learning_rate,
            learning_rate_schedule=self.learning_rate_schedule,
            early_stopping=early_stopping,
            patience=self.patience,
            callbacks=self.callbacks or [],
            verbose=self.verbose,
            seed=seed,
            noise=self.noise,
            noise_level=self.noise_level,
        )

    def __getstate__(self):
        # The training model shares its layers with encoder_ and decoder_;
        # pickled on its own it would come back as a separate copy. partial_fit
        # rebuilds it (with a fresh optimizer) after unpickling.
        state = super().__getstate__()
        state.pop("_autoencoder", None)
        return state

    def _encode(self, X_model):
        """Codes of model-shaped inputs: the means, for a variational model."""
        from . import _training

        Z = _training.predict(self.encoder_, X_model, self.batch_size)
        return Z[:, : self.z_dim]

    def _fit_latent_density(self, X_train):
        """A Gaussian mixture over (at most 10,000) training codes; None for a VAE."""
        if self.variational:
            return None
        from sklearn.mixture import GaussianMixture

        seed = self._derived_seed("density")
        rows = np.random.default_rng(seed).permutation(len(X_train))[:10_000]
        codes = self._encode(X_train[np.sort(rows)])
        # Ten components (one per MNIST digit) when there are enough codes;
        # fewer for small data, so that no component is left without points.
        n_components = min(10, max(1, len(codes) // 50))
        return GaussianMixture(n_components, random_state=seed).fit(codes)

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

    def _resolve_output_activation(self, X, architecture):
        if architecture == "custom":
            return None
        if self.output_activation != "auto":
            return self.output_activation
        in_unit_interval = X.min() >= 0 and X.max() <= 1
        return "sigmoid" if in_unit_interval else "linear"

    def _build(self, architecture, input_shape, output_activation, seed):
        if architecture == "custom":
            encoder, decoder = self.architecture(input_shape, self.z_dim)
            _check_custom_models(
                encoder, decoder, input_shape, self.z_dim, self.variational
            )
            return encoder, decoder

        from . import architectures

        builders = {
            "dense": architectures.dense_autoencoder,
            "conv": architectures.conv_autoencoder,
            "tutorial": architectures.tutorial_autoencoder,
        }
        return builders[architecture](
            input_shape,
            self.z_dim,
            output_activation=output_activation,
            variational=self.variational,
            seed=seed,
        )


def _sample_mixture(mixture, n_samples, rng):
    """Draw from a fitted full-covariance GaussianMixture with our own ``rng``.

    ``GaussianMixture.sample`` reuses the mixture's ``random_state``, so every
    call would return the same points.
    """
    component = rng.choice(len(mixture.weights_), size=n_samples, p=mixture.weights_)
    cholesky = np.linalg.cholesky(mixture.covariances_)[component]
    noise = rng.standard_normal((n_samples, mixture.means_.shape[1]))
    return mixture.means_[component] + np.einsum("nij,nj->ni", cholesky, noise)


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
