"""Loading saved models safely: skops files that may hold skae's types and no others."""

# The names skops records for skae's objects: the public paths, which stay
# where they are whatever moves inside the package.
TRUSTED_TYPES = ["skae.AutoencoderOutlierDetector", "skae.AutoencoderTransformer"]


def load_model(file):
    """Load a model saved with ``skops.io.dump``, trusting skae's own types only.

    skops rebuilds scikit-learn's own objects without being asked; any
    other type in the file must be trusted by name. This trusts
    :class:`~skae.AutoencoderTransformer` and
    :class:`~skae.AutoencoderOutlierDetector` and nothing else, so a file
    that asks for more (a function, a class of someone else's) is refused: load
    it with ``skops.io.load(file, trusted=[...])`` after reading
    ``skops.io.get_untrusted_types(file=file)`` yourself.

    Parameters
    ----------
    file : str or path-like
        A file written by ``skops.io.dump``: an AutoencoderTransformer or an
        AutoencoderOutlierDetector, or a Pipeline or search holding one.

    Returns
    -------
    model : object
        What was saved.

    Raises
    ------
    skops.io.exceptions.UntrustedTypesFoundException
        When the file holds a type beyond scikit-learn's and skae's.

    Examples
    --------
    >>> import os, tempfile
    >>> import skops.io as sio
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer, load_model
    >>> X = load_digits().data / 16
    >>> ae = AutoencoderTransformer(z_dim=2, epochs=1, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "ae.skops")
    >>> sio.dump(ae, path)
    >>> load_model(path).transform(X[:3]).shape
    (3, 2)
    """
    try:
        import skops.io as sio
    except ImportError:
        raise ImportError(
            "loading a saved model needs skops: pip install 'skae[skops]'"
        ) from None
    return sio.load(file, trusted=TRUSTED_TYPES)
