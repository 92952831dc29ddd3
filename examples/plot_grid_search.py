"""
=============================================
Choosing z_dim with GridSearchCV, next to PCA
=============================================

``AutoencoderTransformer`` is a scikit-learn transformer, so it goes into a
:class:`~sklearn.pipeline.Pipeline` and :class:`~sklearn.model_selection.GridSearchCV`
like PCA. Two ways to choose the latent size:

* on its own, with no ``scoring``: the estimator's ``score`` is minus the
  reconstruction error, so the search keeps the size that reconstructs
  held-out data best;
* inside a classifier pipeline: the search keeps the size that classifies best.
"""

import os

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_scorer
from skae.plotting import plot_error_vs_z

QUICK = os.environ.get("SKAE_QUICK") == "1"
epochs = 2 if QUICK else 60
z_dims = [2, 5, 10, 20]

X, y = load_digits(return_X_y=True)
X = X / 16

# %%
# Reconstruction decides
# ----------------------
# One scorer, :func:`skae.metrics.reconstruction_scorer`, scores PCA and the
# autoencoder alike.
ae_search = GridSearchCV(
    AutoencoderTransformer(epochs=epochs, random_state=0), {"z_dim": z_dims}, cv=3
).fit(X)
pca_search = GridSearchCV(
    PCA(), {"n_components": z_dims}, scoring=reconstruction_scorer, cv=3
).fit(X)
results = pd.DataFrame(
    {
        "method": ["autoencoder"] * len(z_dims) + ["PCA"] * len(z_dims),
        "z_dim": z_dims * 2,
        "mse": [-s for s in ae_search.cv_results_["mean_test_score"]]
        + [-s for s in pca_search.cv_results_["mean_test_score"]],
    }
)
print(results.pivot(index="z_dim", columns="method", values="mse"))
plot_error_vs_z(results)

# %%
# Accuracy decides
# ----------------
pipe = Pipeline(
    [
        ("scale", MinMaxScaler()),
        ("ae", AutoencoderTransformer(epochs=epochs, random_state=0)),
        ("clf", LogisticRegression(max_iter=1000)),
    ]
)
search = GridSearchCV(pipe, {"ae__z_dim": z_dims}, cv=3).fit(X * 16, y)
print("best latent size for classification:", search.best_params_)
print(f"3-fold accuracy: {search.best_score_:.3f}")
plt.show()
