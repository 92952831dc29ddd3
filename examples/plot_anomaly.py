"""
======================
Finding unusual digits
======================

:class:`~skae.AutoencoderOutlierDetector` stands where scikit-learn's
outlier detectors stand: ``fit`` on data that is mostly normal, then
``predict`` says +1 or -1 and ``score_samples`` ranks samples from the most
usual to the most unusual. Train it on the digits 0-4 and score the test
set: the digits 5-9 score lower, and so do the oddest 0-4.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import RocCurveDisplay

from skae import AutoencoderOutlierDetector, AutoencoderTransformer
from skae.datasets import load_mnist

# SKAE_QUICK=1 (the documentation's build): 10,000 images, 5 epochs.
QUICK = os.environ.get("SKAE_QUICK") == "1"
n_train, epochs = (10_000, 5) if QUICK else (60_000, "auto")

train = load_mnist(subset="train")
test = load_mnist(subset="test")
X_normal = train.data[:n_train][train.target[:n_train] < 5]
is_unusual = test.target >= 5

detector = AutoencoderOutlierDetector(
    AutoencoderTransformer(image_shape=(28, 28), epochs=epochs, random_state=0),
    contamination=0.01,
).fit(X_normal)
forest = IsolationForest(random_state=0).fit(X_normal)

# %%
# Lower scores, more unusual
# --------------------------
# Both detectors rank the test images by ``score_samples``; the ROC curve
# shows how well each ranking puts the digits 5-9 below the digits 0-4.
fig, ax = plt.subplots(layout="constrained")
for name, model in (("autoencoder", detector), ("IsolationForest", forest)):
    RocCurveDisplay.from_predictions(
        is_unusual, -model.score_samples(test.data), name=name, ax=ax
    )
ax.set_title("Flagging digits 5-9 after training on 0-4")
plt.show()

# %%
# The most unusual of the digits it was trained on
# ------------------------------------------------
# ``predict`` flags the test images below ``offset_``: about 1 % of the
# training images (``contamination=0.01``). Among the test digits 0-4, the
# lowest scores are the oddest writing.
usual = np.flatnonzero(~is_unusual)
scores = detector.score_samples(test.data[usual])
flagged = np.mean(detector.predict(test.data[usual]) == -1)
fig, axes = plt.subplots(1, 8, figsize=(9, 1.6), layout="constrained")
for ax, row in zip(axes, usual[np.argsort(scores)[:8]]):
    ax.imshow(test.data[row].reshape(28, 28), cmap="gray_r")
    ax.set_title(str(test.target[row]))
    ax.axis("off")
fig.suptitle(f"Lowest scores among the test digits 0-4 ({flagged:.1%} of them flagged)")
plt.show()
