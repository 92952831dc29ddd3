"""
===========================================
One fit, every latent size: the error curve
===========================================

PCA users read the whole error curve from one fit, because PCA's first k
components are PCA(k). ``AutoencoderTransformer(nested=True)`` trains codes
that are nested the same way: every prefix of the code, its first k
numbers, is a code of size k. So one fit draws the autoencoder's curve
beside PCA's, gives ``explained_variance_ratio_`` as PCA does, and a float
``z_dim`` picks the size by itself, as ``PCA(n_components=0.9)``.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.datasets import load_mnist
from skae.plotting import plot_error_vs_z, plot_reconstructions

# SKAE_QUICK=1 (the docs build) trains on 10,000 images for 3 epochs.
QUICK = os.environ.get("SKAE_QUICK") == "1"
train, test = load_mnist(subset="train"), load_mnist(subset="test")
X_train, X_test = train.data, test.data[:2000]
if QUICK:
    X_train = X_train[:10_000]

# %%
# One nested fit at z_dim=30
# --------------------------
# Each training image is reconstructed, in every step, from its whole code
# and from a prefix of a size drawn at random, with the decoder told which
# codes it has. Prefixes that do not beat PCA of their size on the
# validation split decode as PCA does (``n_pca_codes_`` says how many).

ae = AutoencoderTransformer(
    z_dim=30,
    nested=True,
    image_shape=(28, 28),
    epochs=3 if QUICK else "auto",
    random_state=0,
).fit(X_train)
pca = PCA(30).fit(X_train)

# %%
# The error of the first k codes, for every k, beside PCA's
# ---------------------------------------------------------

plot_error_vs_z(ae, X_test, pca=pca)
plt.show()
print(f"the first {ae.n_pca_codes_} codes kept as PCA's")

# %%
# The share of the variance, as PCA's
# -----------------------------------
# ``explained_variance_ratio_`` is measured on the validation split: its
# cumulative sum at k is the share the first k codes reconstruct.

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
k = np.arange(1, 31)
ax.plot(k, np.cumsum(pca.explained_variance_ratio_), marker=".", label="PCA")
ax.plot(k, np.cumsum(ae.explained_variance_ratio_), marker=".", label="autoencoder")
ax.set_xlabel("first k codes")
ax.set_ylabel("share of the variance reconstructed")
ax.legend()
plt.show()

# %%
# Any size from the same fit
# --------------------------
# ``truncate(k)`` is the fitted model of the first k codes: its ``transform``
# returns k columns, its figures are those of a code of size k.

plot_reconstructions(ae.truncate(5), X_test, title="The first 5 codes")
plt.show()
plot_reconstructions(ae.truncate(30), X_test, title="All 30 codes")
plt.show()
