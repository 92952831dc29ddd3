"""
======================
Denoising MNIST digits
======================

A denoising autoencoder sees corrupted inputs during ``fit`` and learns to
reconstruct the clean images; ``transform`` and ``inverse_transform`` add no
noise, so at test time it maps noisy digits to clean-looking ones.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.datasets import load_mnist

# SKAE_QUICK=1 (the documentation's build): 10,000 images, 5 epochs.
QUICK = os.environ.get("SKAE_QUICK") == "1"
n_train, epochs = (10_000, 5) if QUICK else (60_000, "auto")

X_train = load_mnist(subset="train").data[:n_train]
X_test = load_mnist(subset="test").data[:1000]
rng = np.random.default_rng(0)
noisy = np.clip(X_test + rng.normal(0, 0.5, X_test.shape), 0, 1).astype(np.float32)

# %%
# Train with Gaussian noise of standard deviation 0.5 on the inputs
# -----------------------------------------------------------------
models = {
    "denoising AE": AutoencoderTransformer(
        z_dim=10,
        image_shape=(28, 28),
        noise="gaussian",
        noise_level=0.5,
        epochs=epochs,
        random_state=0,
    ),
    "plain AE": AutoencoderTransformer(
        z_dim=10, image_shape=(28, 28), epochs=epochs, random_state=0
    ),
    "PCA": PCA(10),
}
denoised = {}
for name, model in models.items():
    model.fit(X_train)
    denoised[name] = model.inverse_transform(model.transform(noisy))
    error = np.mean((denoised[name] - X_test) ** 2)
    print(f"{name:>12}: MSE against the clean images {error:.4f}")
print(f"{'noisy input':>12}: MSE against the clean images {np.mean((noisy - X_test) ** 2):.4f}")

# %%
# Noisy, denoised and clean rows
# ------------------------------
rows = {"noisy": noisy, **denoised, "clean": X_test}
fig, axes = plt.subplots(
    len(rows), 8, figsize=(8, 1.1 * len(rows)), layout="constrained"
)
for row, (name, images) in zip(axes, rows.items()):
    for ax, image in zip(row, images):
        ax.imshow(np.clip(image, 0, 1).reshape(28, 28), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(name, rotation=0, ha="right", va="center")
fig.suptitle("Noisy inputs, their reconstructions, and the clean images")
plt.show()
