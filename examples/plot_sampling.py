"""
============================================
Generating digits: plain and variational AEs
============================================

``sample`` decodes latent vectors drawn from a density: a plain autoencoder
draws them from a Gaussian mixture fitted to its training codes, a
variational one (``variational=True``) from its standard normal prior.

Decoding a regular grid shows why sampling a plain autoencoder is hard: its
codes sit in uneven clusters, the space between them decodes to blurs, and
some digits barely appear. The KL term of the variational autoencoder packs
the codes around the origin, so a grid over [-2, 2] covers every digit.
"""

import os

import matplotlib.pyplot as plt

from skae import AutoencoderTransformer
from skae.datasets import load_mnist
from skae.plotting import plot_latent_grid

QUICK = os.environ.get("SKAE_QUICK") == "1"
n_train, epochs = (2_000, 1) if QUICK else (60_000, 10)
X_train = load_mnist(subset="train").data[:n_train]

plain = AutoencoderTransformer(
    z_dim=2, image_shape=(28, 28), epochs=epochs, random_state=0
).fit(X_train)
variational = AutoencoderTransformer(
    z_dim=2, image_shape=(28, 28), epochs=epochs, variational=True, random_state=0
).fit(X_train)

# %%
# The decoded grid: the tutorial's picture and its improved version
# -----------------------------------------------------------------
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 6), layout="constrained")
plot_latent_grid(plain, ax=left)
left.set_title("plain autoencoder, z in [-5, 5)")
plot_latent_grid(variational, start=-2, stop=2, step=0.4, ax=right)
right.set_title("variational autoencoder, z in [-2, 2)")

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
