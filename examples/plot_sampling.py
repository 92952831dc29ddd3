"""
============================================
Generating digits: plain and variational AEs
============================================

``sample`` decodes latent vectors drawn from a density: a plain autoencoder
draws them around the codes of its training images (a kernel density), a
variational one (``variational=True``) from its standard normal prior.

Decoding a regular grid shows why sampling a plain autoencoder is hard: its
codes sit in uneven clusters, the space between them decodes to blurs, and
some digits barely appear. The KL term of the variational autoencoder packs
the codes around the origin, so a grid over [-2, 2] covers every digit.
"""

import os

import matplotlib.pyplot as plt
import numpy as np

from skae import AutoencoderTransformer
from skae.datasets import load_mnist
from skae.plotting import plot_latent_grid

# SKAE_QUICK=1 (the documentation's build): 10,000 images, 5 epochs.
QUICK = os.environ.get("SKAE_QUICK") == "1"
n_train, epochs = (10_000, 5) if QUICK else (60_000, "auto")
X_train = load_mnist(subset="train").images[:n_train]

plain = AutoencoderTransformer(z_dim=2, epochs=epochs, random_state=0).fit(X_train)
variational = AutoencoderTransformer(
    z_dim=2, epochs=epochs, variational=True, random_state=0
).fit(X_train)

# %%
# Decoded grids
# -------------
# The plain model's grid spans the range of its training codes; the
# variational model's, the bulk of its prior.
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 6.5), layout="constrained")
plot_latent_grid(plain, ax=left)
left.set_title("plain autoencoder, over its training codes")
plot_latent_grid(variational, values=np.arange(-2, 2.25, 0.5), ax=right)
right.set_title("variational autoencoder, z in [-2, 2]")

# %%
# New samples
# -----------
fig, axes = plt.subplots(2, 10, figsize=(10, 2.4), layout="constrained")
for row, model, name in zip(axes, [plain, variational], ["plain", "variational"]):
    for ax, image in zip(row, model.sample(10, random_state=0)):
        ax.imshow(image.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(name)
plt.show()
