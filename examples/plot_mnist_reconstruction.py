"""
==============================================
MNIST reconstructions: autoencoder against PCA
==============================================

Both compress each 28x28 MNIST digit (784 pixels) into 10 numbers, a
compression of 78.4x, and reconstruct it from them. PCA is the best *linear*
code; the convolutional autoencoder learns a nonlinear one and reconstructs
visibly sharper digits with a lower test error.
"""

import os

import matplotlib.pyplot as plt
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.datasets import load_mnist
from skae.metrics import reconstruction_error
from skae.plotting import plot_history, plot_reconstructions

# SKAE_QUICK=1 runs on a small slice in seconds (tests, docs build).
QUICK = os.environ.get("SKAE_QUICK") == "1"
n_train, epochs = (2_000, 1) if QUICK else (60_000, 10)

train = load_mnist(subset="train")
test = load_mnist(subset="test")
X_train, X_test = train.data[:n_train], test.data

# %%
# Fit both with a 10-dimensional code
# -----------------------------------
# ``image_shape`` tells the autoencoder that the 784 columns are 28x28 images,
# so ``architecture="auto"`` builds a convolutional network.
pca = PCA(n_components=10).fit(X_train)
autoencoder = AutoencoderTransformer(
    z_dim=10, image_shape=(28, 28), epochs=epochs, random_state=0
).fit(X_train)

for name, model in [("PCA", pca), ("autoencoder", autoencoder)]:
    print(f"{name:>11}: test MSE per pixel {reconstruction_error(model, X_test):.4f}")

# %%
# Originals over reconstructions
# ------------------------------
plot_reconstructions(pca, X_test, title="PCA, 10 components")
plot_reconstructions(autoencoder, X_test, title="Autoencoder, z_dim=10")

# %%
# Training curves
# ---------------
# Early stopping watches the validation loss and keeps the best epoch.
plot_history(autoencoder)
plt.show()
