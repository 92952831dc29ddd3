"""
====================================
A two-dimensional MNIST latent space
====================================

With ``z_dim=2`` every digit becomes a point in the plane: we can look at the
codes of test images coloured by their label, and decode a regular grid of
points to see what the decoder has learnt in each region.

The grid also shows why sampling a plain autoencoder is hard: its codes are
unevenly spread, some regions decode to blurs between classes, and some digits
hardly appear at all.
"""

import os

import matplotlib.pyplot as plt

from skae import AutoencoderTransformer
from skae.datasets import load_mnist
from skae.plotting import plot_latent_grid, plot_latent_scatter

# SKAE_QUICK=1 (the documentation's build): 10,000 images, 5 epochs.
QUICK = os.environ.get("SKAE_QUICK") == "1"
n_train, epochs = (10_000, 5) if QUICK else (60_000, "auto")

train = load_mnist(subset="train")
test = load_mnist(subset="test")
autoencoder = AutoencoderTransformer(z_dim=2, epochs=epochs, random_state=0).fit(
    train.images[:n_train]
)

# %%
# Codes of 1000 test images
# -------------------------
plot_latent_scatter(autoencoder, test.images, test.target, n_samples=1000)

# %%
# Images decoded from a grid
# --------------------------
# Each axis spans its own range of the test codes, in round steps.
plot_latent_grid(autoencoder, test.images)

# %%
# The tutorial's grid
# -------------------
# The reference tutorial decodes z in [-5, 5) in steps of 1. Codes live on
# each model's own scale (here, PCA's codes in standardised units at the
# start of training), so that fixed window may miss much of the data.
plot_latent_grid(autoencoder, values="tutorial")
plt.show()
