"""
==================================
Anomaly scores from reconstruction
==================================

``score_samples`` is minus each sample's reconstruction error: an
autoencoder trained on some kinds of input reconstructs other kinds badly.
Train on the digits 0-4 and score the test set: the digits 5-9 get lower
scores, and the ROC AUC measures how well the score separates them.
"""

import os

import matplotlib.pyplot as plt
from sklearn.decomposition import PCA
from sklearn.metrics import RocCurveDisplay

from skae import AutoencoderTransformer
from skae.datasets import load_mnist
from skae.metrics import reconstruction_error

# SKAE_QUICK=1 (the documentation's build): 10,000 images, 5 epochs.
QUICK = os.environ.get("SKAE_QUICK") == "1"
n_train, epochs = (10_000, 5) if QUICK else (60_000, "auto")

train = load_mnist(subset="train")
test = load_mnist(subset="test")
normal = train.target[:n_train] < 5
X_normal = train.data[:n_train][normal]
is_anomaly = test.target >= 5

autoencoder = AutoencoderTransformer(
    z_dim=10, image_shape=(28, 28), epochs=epochs, random_state=0
).fit(X_normal)
pca = PCA(10).fit(X_normal)

# %%
# Higher reconstruction error, more anomalous
# -------------------------------------------
fig, ax = plt.subplots(layout="constrained")
RocCurveDisplay.from_predictions(
    is_anomaly, -autoencoder.score_samples(test.data), name="autoencoder", ax=ax
)
RocCurveDisplay.from_predictions(
    is_anomaly, reconstruction_error(pca, test.data, per_sample=True), name="PCA", ax=ax
)
ax.set_title("Flagging digits 5-9 after training on 0-4")
plt.show()
