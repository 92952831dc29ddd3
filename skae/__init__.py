"""skae: scikit-learn compatible autoencoders on Keras 3.

``import skae`` stays light: TensorFlow and Keras load on the first ``fit``,
matplotlib only in :mod:`skae.plotting`.
"""

from ._autoencoder import AutoencoderTransformer

__all__ = ["AutoencoderTransformer"]
__version__ = "0.1.0"
