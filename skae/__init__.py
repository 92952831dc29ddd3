"""skae: scikit-learn compatible autoencoders on Keras 3.

``import skae`` stays light: TensorFlow and Keras load on the first ``fit``,
matplotlib only in :mod:`skae.plotting`.
"""

from ._autoencoder import AutoencoderTransformer
from ._persistence import load_model

# Saved models (skops, pickle) name the class by this public path, not by
# the private module that defines it.
AutoencoderTransformer.__module__ = "skae"

__all__ = ["AutoencoderTransformer", "load_model"]
__version__ = "0.1.0"
