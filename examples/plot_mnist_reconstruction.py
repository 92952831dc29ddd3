"""
==============================================
MNIST reconstructions: autoencoder against PCA
==============================================

Both compress each 28x28 MNIST digit (784 pixels) into 10 numbers, a
compression of 78.4x, and reconstruct it from them. PCA is the best *linear*
code; the convolutional autoencoder starts from PCA's code and learns a
nonlinear correction, and reconstructs visibly sharper digits with a lower
test error.
"""

import os

import matplotlib.pyplot as plt
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.datasets import load_mnist
from skae.metrics import reconstruction_error
from skae.plotting import plot_history, plot_reconstructions

# The documentation is built with SKAE_QUICK=1: 10,000 training images and
# 5 epochs. Unset, the fit uses all 60,000 images and the default budget
# (10 epochs); the user guide's Speed and memory page says how long that takes.
QUICK = os.environ.get("SKAE_QUICK") == "1"
n_train, epochs = (10_000, 5) if QUICK else (60_000, "auto")

train = load_mnist(subset="train")
test = load_mnist(subset="test")
X_train, X_test = train.images[:n_train], test.images

# %%
# Fit both with a 10-dimensional code
# -----------------------------------
# The (n, 28, 28) image stack tells the autoencoder that it sees images, so
# ``architecture="auto"`` builds a convolutional network. PCA takes flat rows.
pca = PCA(n_components=10).fit(X_train.reshape(n_train, -1))
autoencoder = AutoencoderTransformer(
    z_dim=10, epochs=epochs, verbose=1, random_state=0
).fit(X_train)

print(f"PCA test MSE per pixel: {reconstruction_error(pca, test.data):.4f}")
print(f"autoencoder test MSE per pixel: {reconstruction_error(autoencoder, X_test):.4f}")

# %%
# Originals over reconstructions
# ------------------------------
plot_reconstructions(pca, test.data, title="PCA, 10 components")
plot_reconstructions(autoencoder, test.data, title="Autoencoder, z_dim=10")

# %%
# Training curves
# ---------------
# Early stopping watches the validation loss and keeps the best epoch; the
# untrained model, which is PCA, counts as epoch 0.
plot_history(autoencoder)
plt.show()
