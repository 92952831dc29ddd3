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
import numpy as np

from skae import AutoencoderTransformer
from skae.datasets import load_mnist
from skae.plotting import plot_latent_grid, plot_latent_scatter

QUICK = os.environ.get("SKAE_QUICK") == "1"
n_train, epochs = (2_000, 1) if QUICK else (60_000, 10)

train = load_mnist(subset="train")
test = load_mnist(subset="test")
autoencoder = AutoencoderTransformer(
    z_dim=2, image_shape=(28, 28), epochs=epochs, random_state=0
).fit(train.data[:n_train])

# %%
# Codes of 1000 test images
# -------------------------
plot_latent_scatter(autoencoder, test.data, test.target, n_samples=1000)

# %%
# Images decoded from a grid
# --------------------------
# The tutorial decodes z in [-5, 5) in steps of 1. Our codes live on their own
# scale, so we also span the range where most test codes lie.
plot_latent_grid(autoencoder)
codes = autoencoder.transform(test.data)
low, high = np.percentile(codes, [2, 98])
plot_latent_grid(autoencoder, start=low, stop=high, step=(high - low) / 10)
plt.show()
