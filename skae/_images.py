"""Helpers shared by :mod:`skae.plotting` and :mod:`skae.widgets` (no matplotlib)."""

import math

import numpy as np


def display_shape(estimator, image_shape, n_features):
    """(H, W) or (H, W, C) to display rows of ``n_features`` values as images."""
    if image_shape is None:
        image_shape = getattr(estimator, "image_shape_", None)
    if image_shape is None:
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"cannot show rows of {n_features} features as images: pass "
                "image_shape=(height, width[, channels])"
            )
        image_shape = (side, side)
    image_shape = tuple(image_shape)
    if len(image_shape) == 3 and image_shape[2] == 1:
        image_shape = image_shape[:2]
    return image_shape


def latent_size(estimator):
    """The number of code dimensions of a fitted transformer (ours, PCA, ...)."""
    for attribute in ("z_dim_", "n_components_"):
        if hasattr(estimator, attribute):
            return int(getattr(estimator, attribute))
    return None


def center_code(estimator, X=None):
    """The mean code of ``X``, or the zero code of the estimator's latent size."""
    if X is not None:
        return np.asarray(estimator.transform(X)).mean(axis=0)
    size = latent_size(estimator)
    if size is None:
        raise ValueError("pass X so that its mean code fixes the latent size")
    return np.zeros(size)
