"""
=============================================
Choosing z_dim with GridSearchCV, next to PCA
=============================================

``AutoencoderTransformer`` is a scikit-learn transformer, so it goes into a
:class:`~sklearn.pipeline.Pipeline` and :class:`~sklearn.model_selection.GridSearchCV`
like PCA. Three ways to choose the latent size:

* on its own, with no ``scoring``: the estimator's ``score`` is minus the
  reconstruction error. A larger code always reconstructs better, so ask for
  the *smallest* ``z_dim`` within a few percent of the best, as PCA users
  pick ``n_components`` by explained variance;
* inside a classifier pipeline: the search keeps the size that classifies
  best;
* cheaply, by successive halving: every size gets a few epochs, and only
  the better half of them twice as many, and so on.

Every search fits its candidates in parallel, one process per core
(``n_jobs=-1``); each process trains with its share of the threads.
"""

import os

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV
from sklearn.pipeline import Pipeline

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_scorer
from skae.plotting import plot_error_vs_z

# SKAE_QUICK=1 (the docs build) trains each candidate for 8 epochs; the
# halving search's largest budget is then 8 epochs too.
QUICK = os.environ.get("SKAE_QUICK") == "1"
epochs = 8 if QUICK else "auto"
max_epochs = 8 if QUICK else 20
z_dims = [2, 5, 10, 20]

X, y = load_digits(return_X_y=True)
X = X / 16

# %%
# Reconstruction decides: the smallest z_dim within 10% of the best
# -----------------------------------------------------------------
# ``refit`` may be a function of the search's results that returns the
# index of the candidate to keep.


def smallest_within_10_percent(cv_results):
    errors = -np.asarray(cv_results["mean_test_score"])
    good_enough = errors <= 1.1 * errors.min()
    z = np.asarray(cv_results["param_z_dim"], dtype=int)
    return int(np.flatnonzero(good_enough)[np.argmin(z[good_enough])])


ae_search = GridSearchCV(
    AutoencoderTransformer(epochs=epochs, random_state=0),
    {"z_dim": z_dims},
    cv=3,
    refit=smallest_within_10_percent,
    n_jobs=-1,
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
print(results.pivot(index="z_dim", columns="method", values="mse").round(4))
print("smallest z_dim within 10% of the best:", ae_search.best_params_["z_dim"])
plot_error_vs_z(results)

# %%
# Accuracy decides
# ----------------
pipe = Pipeline(
    [
        ("ae", AutoencoderTransformer(epochs=epochs, random_state=0)),
        ("clf", LogisticRegression(max_iter=1000)),
    ]
)
search = GridSearchCV(pipe, {"ae__z_dim": z_dims}, cv=3, n_jobs=-1).fit(X, y)
print("best latent size for classification:", search.best_params_)
print(f"3-fold accuracy: {search.best_score_:.3f}")

# %%
# The same search, by successive halving over epochs
# --------------------------------------------------
# The resource is the autoencoder's epoch budget: four candidates train for
# a few epochs each, the better half for twice as many, and so on, instead
# of every candidate training for the full budget.
halving = HalvingGridSearchCV(
    pipe,
    {"ae__z_dim": z_dims},
    cv=3,
    factor=2,
    resource="ae__epochs",
    min_resources=max_epochs // 4,
    max_resources=max_epochs,
    random_state=0,
    n_jobs=-1,
).fit(X, y)
print("halving's choice:", halving.best_params_)
print("epochs per round:", list(halving.n_resources_))
