"""A uint8 memory map is read batch by batch: fit never copies it whole."""

import numpy as np
from _fresh import run_fresh

from skae import AutoencoderTransformer


def test_a_uint8_memory_map_is_never_copied_whole(tmp_path):
    """Peak memory of a fit on 100,000 rows of uint8 pixels stays below a fit
    on 1,000 plus the float32 copy of the 100,000 (the benchmark,
    benchmarks/memmap.py, measures 200,000 MNIST images and the
    convolutional network)."""
    n_small, n_large, n_features = 1_000, 100_000, 784
    path = tmp_path / "pixels.npy"
    stack = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.uint8, shape=(n_large, n_features)
    )
    rng = np.random.default_rng(0)
    for start in range(0, n_large, 10_000):
        stack[start : start + 10_000] = rng.integers(
            0, 256, (10_000, n_features), dtype=np.uint8
        )
    stack.flush()
    del stack
    small, large = (
        # Large batches: few steps, as the memory of a step is not in question.
        run_fresh(
            "memmap", "run", path=str(path), n=n, architecture="dense", batch_size=1000
        )
        for n in (n_small, n_large)
    )
    assert large["is_memmap"] and large["dtype"] == "uint8"
    float32_copy_mb = n_large * n_features * 4 / 2**20
    growth = large["peak_mb"] - small["peak_mb"]
    print(
        f"peak {small['peak_mb']:.0f} MB for {n_small:,}, {large['peak_mb']:.0f} MB "
        f"for {n_large:,}; a float32 copy takes {float32_copy_mb:.0f} MB"
    )
    assert growth < float32_copy_mb, (small, large, float32_copy_mb)


def test_integer_pixels_keep_their_units():
    """0-255 pixels are reconstructed in 0-255, as the fit docstring says,
    and scaled to [0, 1] they fit as the float pixels do."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (300, 16), dtype=np.uint8)
    ae = AutoencoderTransformer(z_dim=4, epochs=2, random_state=0).fit(X)
    assert ae.output_activation_ == "linear"
    reconstructed = ae.inverse_transform(ae.transform(X))
    assert reconstructed.max() > 100  # in pixel units, not squashed to [0, 1]
    scaled = AutoencoderTransformer(z_dim=4, epochs=2, random_state=0).fit(X / 255)
    assert scaled.output_activation_ == "clip"
