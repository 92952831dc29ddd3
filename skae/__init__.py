"""skae: scikit-learn compatible autoencoders on Keras 3.

``import skae`` stays light: TensorFlow and Keras load on the first ``fit``,
matplotlib only in :mod:`skae.plotting`.
"""

from ._autoencoder import AutoencoderTransformer
from ._outliers import AutoencoderOutlierDetector
from ._persistence import load_model

# Saved models (skops, pickle) name the classes by these public paths, not
# by the private modules that define them.
AutoencoderTransformer.__module__ = "skae"
AutoencoderOutlierDetector.__module__ = "skae"

__all__ = ["AutoencoderOutlierDetector", "AutoencoderTransformer", "load_model"]
__version__ = "0.2.0"
