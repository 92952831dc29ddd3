"""AutoencoderTransformer: a scikit-learn transformer around a Keras autoencoder."""

from dataclasses import replace
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._fitted import FittedState
from ._plan import BUILT_IN_ARCHITECTURES, OPTIMIZERS, Data, make_plan
from ._sklearn_private import (
    Interval,
    StrOptions,
    _check_feature_names_in,
    _fit_context,
    _get_feature_names,
)
from ._stats import draw_near, per_sample_squared_error


class AutoencoderTransformer(TransformerMixin, BaseEstimator):
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
    z_dim : int or float, default=10
        Size of the latent code, the number of output features of
        ``transform``: at most ``min(n_samples, n_features)``, as PCA's
        ``n_components`` (a longer code can copy its input instead of
        compressing it), except that a denoising autoencoder (``noise``)
        may have more codes than features. A float in (0, 1) chooses the size as
        ``PCA(n_components=0.9)`` does: the fewest codes that explain that
        share of the variance (``explained_variance_ratio_``), from one
        nested fit whose code is as long as PCA's would be for that share
        (the most codes the autoencoder may need: it starts as PCA). With
        ``nested=False`` a plain model of the chosen size is then fitted
        too (two fits in all).

    nested : bool, default=False
        Train nested codes: every prefix of the code (its first k numbers)
        is a code of size k, as PCA's components are. In every step each
        training sample is reconstructed from its whole code and from a
        prefix of a size drawn at random, and the decoder is told which;
        one fit then gives the whole error curve
        (``explained_variance_ratio_``), and ``inverse_transform`` decodes
        the first k columns of the codes for any k. A step costs about two
        of a plain fit's decoder passes, and each prefix is a worse code
        than a plain fit of its size (the user guide's *Choosing z_dim*
        has the measurements). With the PCA start, no prefix decodes
        worse than PCA's of its size on the validation split: the first
        codes stay PCA's where needed (``n_pca_codes_``).

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

    hidden_units : "auto" or tuple of int, default="auto"
        Widths of the built-in networks' dense ReLU layers, from the input
        towards the code (the decoder mirrors them). ``"auto"``: ``(256,
        128)`` for ``"dense"``, ``(256,)`` between the convolutions and the
        code for ``"conv"``. ``()`` leaves the dense network's correction
        linear. The PCA start holds for any sizes, so this is the parameter
        to search (``GridSearchCV``) rather than a custom architecture.

    filters : "auto" or tuple of int, default="auto"
        Filters of the ``"conv"`` network's stride-2 convolutions, one
        halving of the image each; ``"auto"`` is ``(32, 64)``.

    init : {"auto", "pca", "random"}, default="auto"
        How the built-in ``"dense"`` and ``"conv"`` models start.
        ``"pca"``: a linear path from PCA's components (fitted on the
        training split) plus the network, whose last layers start at zero, so
        the untrained model reconstructs exactly as PCA does. ``"random"``:
        the network alone, with seeded Glorot-uniform weights. Both feed the
        network standardised data (the training mean removed, divided by one
        overall scale), so training does not depend on the data's units.
        ``"auto"``: ``"pca"`` for the built-in ``"dense"`` and ``"conv"``
        networks, and for a plain fit (not nested) whose training did not
        beat that start on the validation split, a ``"random"`` start
        tried too, kept if it beats PCA there (a few hundred rows can pull
        training from PCA the wrong way for good); the tutorial's network
        and a custom one start as their builder makes them, and refuse
        ``init="pca"``.

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
        takes 128 when at least 10,000 rows remain for training after the
        validation split, and 32 below, where more (smaller) steps per
        epoch train better.

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

    validation_fraction : float in [0, 1) or "auto", default="auto"
        Share of the training data held out, at random, to choose the
        epoch to keep (and to judge training against the PCA start); 0
        trains on everything and monitors the training loss. ``"auto"``
        holds out a tenth of the rows, but at least 100 of them (at most
        three tenths of the data): on a few hundred rows, a tenth is too few
        to tell a better model from a lucky one.

    early_stopping : bool, default=True
        Keep the weights of the best epoch (the model before training
        counts as epoch 0) and stop when the monitored loss has not improved
        by ``tol`` for ``patience`` epochs. False trains every epoch and
        keeps the last.

    patience : int or "auto", default="auto"
        Epochs without improvement before early stopping ends training.
        ``"auto"``: 10 epochs, but at least 1,000 gradient steps, so that a
        fit of a few hundred rows (a few steps an epoch) gets past its
        warm-up before it can stop.

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
        networks and images under 28x28 pixels. Set ``"float32"`` for the
        closest agreement across machines (codes still differ by float
        rounding).

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
        Seeds the built-in networks' initial weights (a custom architecture
        seeds its own), the validation split, the order of the batches, the
        prefix sizes of nested codes, the training noise and the codes kept
        for :meth:`sample`. An int gives the same codes in any process on
        the same machine.

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

    init_ : str or None
        Where the kept model started: ``"pca"`` or ``"random"`` (with
        ``init="auto"``, ``"random"`` when the second start was kept), or
        None for the tutorial's or a custom network.

    output_activation_ : str or None
        The built-in decoder's output (None for a custom one).

    compute_dtype_ : str
        ``"float32"`` or ``"bfloat16"``: the precision the networks compute in.

    z_dim_ : int
        The size of the codes that ``transform`` returns and
        ``inverse_transform`` takes: ``z_dim``, or what a float ``z_dim``
        chose. A nested model's ``inverse_transform`` takes any first k of
        them too.

    explained_variance_ratio_ : ndarray of shape (n_codes,)
        For nested codes, as PCA's: the share of the variance (around the
        training mean) that each code adds, so that ``cumsum(...)[k - 1]``
        is the share that the first k codes reconstruct. In the order of
        the codes, which is not sorted as PCA's is: a code can add more than
        the one before it (or, rarely, less than nothing). Measured on up to
        10,000 random rows of the validation split (of the training data
        with ``validation_fraction=0``; of the last chunk after
        :meth:`partial_fit`). For a float ``z_dim`` with ``nested=False``,
        the shares of the nested fit that chose the size. Absent after a
        plain fit (an ``AttributeError`` that says why): the first k codes
        of a plain fit are no code of size k.

    n_components_ : int
        ``z_dim_``, by PCA's name.

    n_pca_codes_ : int
        How many first codes are PCA's own, and decode as PCA does. With
        the PCA start, a fit keeps what training does not improve on, as
        judged on the validation split: all ``z_dim_`` codes when no epoch
        beat the start (the model is then PCA of all the data, and
        ``best_epoch_`` is 0); for nested codes, the first codes whose
        prefixes did not beat PCA's of their size (each prefix of at most
        ``n_pca_codes_`` codes is PCA's reconstruction, and every longer one
        beat PCA of its size). 0 when training improved on PCA everywhere,
        without the PCA start or a validation split, and after
        :meth:`partial_fit`.

    batch_size_ : int
        Samples per gradient step, ``batch_size`` or what ``"auto"`` chose;
        also the batch of every prediction. ``partial_fit`` keeps the
        first call's with ``batch_size="auto"``.

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
        "z_dim": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "nested": ["boolean"],
        "image_shape": [tuple, list, None],
        "architecture": [StrOptions({"auto", *BUILT_IN_ARCHITECTURES}), callable],
        "hidden_units": [StrOptions({"auto"}), tuple, list],
        "filters": [StrOptions({"auto"}), tuple, list],
        "init": [StrOptions({"auto", "pca", "random"})],
        "output_activation": [StrOptions({"auto", "clip", "sigmoid", "linear"})],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"cosine", "constant"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "early_stopping": ["boolean"],
        "patience": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
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
        nested=False,
        image_shape=None,
        architecture="auto",
        hidden_units="auto",
        filters="auto",
        init="auto",
        output_activation="auto",
        epochs="auto",
        batch_size="auto",
        optimizer="adam",
        learning_rate=2e-3,
        learning_rate_schedule="cosine",
        validation_fraction="auto",
        early_stopping=True,
        patience="auto",
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
        self.nested = nested
        self.image_shape = image_shape
        self.architecture = architecture
        self.hidden_units = hidden_units
        self.filters = filters
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
            are best standardised. Any numeric dtype is read batch by batch
            and cast to float32 there, so a memory-mapped stack (uint8
            pixels, say) is never copied whole; values keep their units
            (0-255 pixels are reconstructed in 0-255, with a linear output:
            divide by 255 first for [0, 1] pixels clipped to that range).
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : AutoencoderTransformer
            The fitted estimator.
        """
        return self._fit(X, incremental=False)

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

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> X = load_digits().data / 16
        >>> ae = AutoencoderTransformer(z_dim=4, random_state=0)
        >>> for chunk in (X[:900], X[900:]):  # chunks of a stream, or of a memory map
        ...     ae = ae.partial_fit(chunk)
        >>> ae.n_iter_, ae.transform(X).shape
        (2, (1797, 4))
        """
        return self._fit(X, incremental=True)

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
        X : array-like of shape (n_samples, n_codes)
            Codes, as ``transform`` returns them (``n_codes`` is ``z_dim_``);
            for nested codes, their first k columns for any k up to
            ``z_dim_``, decoded as the code of size k.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, n_features), float32
            Reconstructions as flat rows (images flattened in C order).
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=np.float32, estimator=self, input_name="X")
        k = Z.shape[1]
        if self._nested and k > self.z_dim_:
            raise ValueError(
                f"inverse_transform expects the first k <= z_dim_={self.z_dim_} "
                f"codes, got an array with {k} columns"
            )
        if not self._nested and k != self.z_dim_:
            hint = " (fit with nested=True to decode fewer)" if k < self.z_dim_ else ""
            raise ValueError(
                f"inverse_transform expects codes with z_dim={self.z_dim_} "
                f"columns, got an array with {k} columns{hint}"
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

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> X, y = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(z_dim=4, epochs=20, random_state=0)
        >>> ae = ae.fit(X[y < 5] / 16)  # digits 0 to 4 only
        >>> unlike = np.random.default_rng(0).random((5, 64))  # noise
        >>> bool(ae.score_samples(unlike).max() < ae.score_samples(X[y < 5] / 16).min())
        True
        """
        X_model = self._check_fitted_X(X)
        # Chunks keep the memory to the scores plus one chunk's codes and
        # reconstructions, whatever the size of X.
        chunk = 8 * self.batch_size_
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

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sklearn.model_selection import GridSearchCV
        >>> from skae import AutoencoderTransformer
        >>> X = load_digits().data / 16
        >>> search = GridSearchCV(
        ...     AutoencoderTransformer(epochs=5, random_state=0), {"z_dim": [1, 8]}, cv=2
        ... ).fit(X)
        >>> search.best_params_  # the larger code reconstructs better
        {'z_dim': 8}
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

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> X = load_digits().data / 16
        >>> ae = AutoencoderTransformer(z_dim=2, epochs=5, random_state=0).fit(X)
        >>> ae.sample(3, random_state=0).shape  # three new 8x8 images, as rows
        (3, 64)
        """
        check_is_fitted(self)
        if not (isinstance(n_samples, Integral) and n_samples >= 1):
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        rng = check_random_state(random_state)
        if self.training_codes_ is None:
            Z = rng.standard_normal((int(n_samples), self.z_dim_))
        else:
            Z = draw_near(self.training_codes_, int(n_samples), rng)
        return self._decode(Z.astype(np.float32))

    def truncate(self, k):
        """A copy of this nested model that keeps its first ``k`` codes.

        One nested fit serves every size up to ``z_dim_``: the copy's
        ``transform`` returns ``k`` columns and its ``inverse_transform``
        decodes them, as this model decodes its first ``k`` codes. The copy
        owns its networks (their weights copied, as saving and loading would
        copy them), so training either model never changes the other. Its
        ``z_dim`` is ``k``, so a refit trains nested codes of that size.

        Parameters
        ----------
        k : int
            From 1 to ``z_dim_``.

        Returns
        -------
        truncated : AutoencoderTransformer
            A fitted estimator with ``z_dim_ == k``.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> X = load_digits().data / 16
        >>> ae = AutoencoderTransformer(z_dim=8, nested=True, epochs=2, random_state=0)
        >>> ae.fit(X).truncate(3).transform(X).shape
        (1797, 3)
        """
        check_is_fitted(self)
        if not self._nested:
            raise ValueError(
                "truncate needs nested codes: fit with nested=True (or a float z_dim)"
            )
        if not (isinstance(k, Integral) and 1 <= k <= self.z_dim_):
            raise ValueError(f"k must be an integer from 1 to z_dim_={self.z_dim_}, got {k!r}")
        state = FittedState.of(self).copy()
        codes = state.training_codes_
        truncated = clone(self).set_params(z_dim=int(k), nested=True)
        truncated._commit(
            replace(
                state,
                z_dim_=int(k),
                n_pca_codes_=min(state.n_pca_codes_, int(k)),
                explained_variance_ratio_=state.explained_variance_ratio_[:k],
                training_codes_=None if codes is None else codes[:, :k],
            )
        )
        return truncated

    def get_feature_names_out(self, input_features=None):
        """Names of the codes: ``z1``, ``z2``, ... as the figures, the widgets and
        ``skae compare --codes`` name them.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against ``feature_names_in_`` when given, as scikit-learn's
            transformers check it; the names out do not depend on it.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``z1`` to ``z{z_dim_}``: the columns of ``transform`` with
            ``set_output(transform="pandas")``.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray([f"z{k}" for k in range(1, self.z_dim_ + 1)], dtype=object)

    @property
    def n_components_(self):
        """The number of codes, ``z_dim_``: PCA's name for it."""
        return self.z_dim_

    def __getattr__(self, name):
        # Called only for a name that is not there: say why a PCA user's
        # explained_variance_ratio_ is missing from a plain fit.
        if name == "explained_variance_ratio_" and "encoder_" in vars(self):
            raise AttributeError(
                "explained_variance_ratio_ is measured for nested codes only "
                "(nested=True, or a float z_dim): the first k codes of a plain "
                "fit are no code of size k. skae.metrics.reconstruction_error "
                "gives the error of the whole code"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

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
        # model's Lambda layers load as they were saved. The file names the
        # public class (skae.AutoencoderTransformer._unpickled), which stays
        # where it is whatever moves inside the package.
        return (type(self)._unpickled, (self.__getstate__(),))

    @classmethod
    def _unpickled(cls, state):
        estimator = cls.__new__(cls)
        estimator._restore(state, safe_mode=False)
        return estimator

    def _restore(self, state, safe_mode):
        state = dict(state)
        keras_state = state.pop("_keras_state", None)
        if state.get("explained_variance_ratio_", ()) is None:  # skae 0.1.0's plain fits
            del state["explained_variance_ratio_"]
        if keras_state is not None and "init_" not in state:  # skae 0.1.0's
            state["init_"] = (state["_recipe"] or {}).get("start")
        if keras_state is not None and "n_pca_codes_" not in state:
            # saved by skae 0.1.0, which kept PCA whole only (best epoch 0)
            kept_pca = state["best_epoch_"] == 0 and (state["_recipe"] or {}).get("start") == "pca"
            state["n_pca_codes_"] = state["z_dim_"] if kept_pca else 0
        super().__setstate__(state)
        if keras_state is not None:
            from . import _model

            self.encoder_, self.decoder_ = _model.from_state(
                keras_state, self._recipe, safe_mode=safe_mode
            )

    # -- fit: validate -> plan -> build -> train -> commit ------------------------

    def _fit(self, X, incremental):
        """``fit``, or with ``incremental`` one ``partial_fit`` call.

        Everything up to the commit builds locals only, so whatever fails
        leaves ``self`` as it was.
        """
        from . import _model, _training

        previous = None
        if incremental and hasattr(self, "encoder_"):
            previous = FittedState.of(self)
        data = self._validate(X, previous)
        params = self.get_params(deep=False)
        plan = make_plan(params, data, incremental=incremental, previous=previous)
        networks = _model.build(plan, data, previous)
        self._commit(_training.train(plan, networks, data, previous))
        return self

    def _validate(self, X, previous=None):
        """Validate ``X`` for a fit, against ``previous``'s model when continuing it."""
        X_flat, stack_shape = self._check_X(X)
        if previous is not None:
            self._check_like_fitted(X, X_flat, stack_shape)
        return Data(
            X=X_flat,
            stack_shape=stack_shape,
            feature_names=_get_feature_names(X),
            value_range=(float(np.min(X_flat)), float(np.max(X_flat))),
        )

    def _check_X(self, X):
        """Validate ``X`` without touching ``self``.

        Returns the data as flat rows, in their own numeric dtype (uint8
        pixels, float32, float64...: the networks cast batch by batch, so a
        memory-mapped stack is never copied whole) and, when ``X`` was an
        image stack, the shape ``(H, W, C)`` of one image.
        """
        try:
            X_array = check_array(
                X,
                dtype="numeric",
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
        if X_array.dtype.kind not in "biuf":  # a category or object column, say
            raise ValueError(
                f"{type(self).__name__} needs numeric input: X holds values of "
                f"dtype {X_array.dtype} (encode categories as numbers first)"
            )
        if X_array.ndim > 4:
            raise ValueError(
                "X must be 2-D rows or an image stack (n, H, W) or (n, H, W, C); "
                f"got an array with {X_array.ndim} dimensions"
            )
        if X_array.ndim == 2:
            return X_array, None
        stack_shape = X_array.shape[1:] + (1,) * (X_array.ndim == 3)
        return X_array.reshape(len(X_array), -1), stack_shape

    def _check_like_fitted(self, X, X_flat, stack_shape):
        """Refuse data shaped or named unlike the fitted model's."""
        if stack_shape is not None and stack_shape != self.image_shape_:
            fitted_on = (
                "flat rows" if self.image_shape_ is None
                else f"images of shape {self.image_shape_}"
            )
            raise ValueError(
                f"X holds images of shape {stack_shape}, but this estimator was "
                f"fitted on {fitted_on}"
            )
        validate_data(
            self, X if stack_shape is None else X_flat, reset=False, skip_check_array=True
        )

    def _commit(self, state):
        """The one place a fit writes fitted attributes: all of them at once."""
        for name in FittedState.OPTIONAL:  # an earlier fit's, which this one lacks
            self.__dict__.pop(name, None)
        self.__dict__.update(state.attributes())

    # -- the fitted model in use ------------------------------------------------

    def _check_fitted_X(self, X):
        """Validate ``X`` against the fitted model; return it in model shape."""
        check_is_fitted(self)
        X_flat, stack_shape = self._check_X(X)
        self._check_like_fitted(X, X_flat, stack_shape)
        return X_flat.reshape(-1, *self.input_shape_)

    def _encode(self, X_model):
        """Codes of model-shaped inputs: the means, for a variational model."""
        from ._model import predict

        return predict(self.encoder_, X_model, self.batch_size_)[:, : self.z_dim_]

    def _decode(self, Z):
        """Flat reconstructions of codes (of a prefix, for nested codes)."""
        from ._model import decode

        return decode(self.decoder_, Z, self.batch_size_).reshape(len(Z), -1)


# The class's public path is skae.AutoencoderTransformer (see __init__.py),
# so doctest finds its own examples there, and its methods' from here.
__test__ = {
    f"AutoencoderTransformer.{name}": member
    for name, member in vars(AutoencoderTransformer).items()
    if not name.startswith("_") and callable(member) and member.__doc__
}
