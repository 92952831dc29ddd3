"""partial_fit streaming, searches on a Dask cluster, memory of predictions."""

import pickle

import numpy as np
import pytest
from _fresh import memory_mb, reset_peak_memory, run_fresh
from sklearn.model_selection import GridSearchCV

from skae import AutoencoderTransformer
from skae.datasets import load_mnist
from skae.metrics import reconstruction_error


def test_partial_fit_builds_once_and_keeps_optimizer_state(digits32):
    ae = AutoencoderTransformer(z_dim=4, batch_size=50, random_state=0)
    ae.partial_fit(digits32[:500])
    encoder = ae.encoder_
    ae.partial_fit(digits32[500:1000])
    assert ae.encoder_ is encoder  # the same model, trained on
    assert ae.n_iter_ == 2 and len(ae.history_["loss"]) == 2
    assert int(ae._training_model.optimizer.iterations) == 20  # 10 steps per chunk
    assert ae.training_codes_.shape == (500, 4)  # of the last chunk
    assert ae.transform(digits32).shape == (len(digits32), 4)


def test_partial_fit_after_cosine_fit_trains_at_the_set_rate(digits32):
    ae = AutoencoderTransformer(z_dim=2, epochs=4, random_state=0).fit(digits32[:300])
    assert ae.best_epoch_ == 4
    # The cosine schedule ends the fit at a small fraction of the rate ...
    assert ae.history_["learning_rate"][-1] < 0.2 * ae.learning_rate
    # ... but each partial_fit call is one epoch at learning_rate, as set now.
    ae.partial_fit(digits32[300:600])
    ae.set_params(learning_rate=5e-4).partial_fit(digits32[600:900])
    assert ae.history_["learning_rate"][-2:] == pytest.approx([2e-3, 5e-4])
    assert float(ae._training_model.optimizer.learning_rate) == pytest.approx(5e-4)


def test_constant_schedule_keeps_the_rate(digits32):
    ae = AutoencoderTransformer(
        z_dim=2, epochs=3, learning_rate_schedule="constant", random_state=0
    ).fit(digits32[:300])
    assert ae.history_["learning_rate"] == [2e-3] * 3
    assert float(ae._training_model.optimizer.learning_rate) == pytest.approx(2e-3)


def test_partial_fit_validates_every_chunk(digits32):
    ae = AutoencoderTransformer(z_dim=2, random_state=0).partial_fit(digits32[:100])
    with pytest.raises(ValueError, match="X has 10 features"):
        ae.partial_fit(np.random.rand(50, 10))
    with pytest.raises(ValueError, match="NaN"):
        ae.partial_fit(np.full((50, 64), np.nan))
    assert ae.n_iter_ == 1


def test_streaming_from_a_memory_map_matches_fit(digits32, tmp_path):
    path = tmp_path / "digits.npy"
    np.save(path, digits32)
    stream = np.load(path, mmap_mode="r")
    params = {"z_dim": 8, "batch_size": 64, "random_state": 0}
    n_passes, chunk = 30, 600
    streamed = AutoencoderTransformer(**params)
    for _ in range(n_passes):
        for start in range(0, len(stream), chunk):
            streamed.partial_fit(stream[start : start + chunk])
    fitted = AutoencoderTransformer(
        epochs=n_passes, validation_fraction=0, early_stopping=False, **params
    ).fit(digits32)
    streamed_error = reconstruction_error(streamed, digits32)
    fitted_error = reconstruction_error(fitted, digits32)
    assert streamed_error < 1.25 * fitted_error, (streamed_error, fitted_error)


def test_partial_fit_continues_after_pickling(digits32):
    ae = AutoencoderTransformer(z_dim=2, random_state=0).partial_fit(digits32[:300])
    restored = pickle.loads(pickle.dumps(ae))
    assert not hasattr(restored, "_training_model")
    np.testing.assert_array_equal(restored.transform(digits32), ae.transform(digits32))
    restored.partial_fit(digits32[300:600])
    assert restored.n_iter_ == 2
    # the rebuilt training model trains the very layers that transform uses
    assert not np.array_equal(restored.transform(digits32), ae.transform(digits32))


def test_grid_search_on_a_dask_cluster_agrees_with_local(digits32):
    import distributed
    import joblib

    def search():
        return GridSearchCV(
            AutoencoderTransformer(epochs=3, random_state=0), {"z_dim": [1, 4]}, cv=2
        )

    local = search().fit(digits32[:400])
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_backend("dask"),
    ):
        remote = search().fit(digits32[:400])
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"],
        local.cv_results_["mean_test_score"],
        rtol=1e-5,
    )
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(
        remote.best_estimator_.transform(digits32[:50]),
        local.best_estimator_.transform(digits32[:50]),
        rtol=1e-5,
    )


# -- memory ----------------------------------------------------------------------------


def test_predicting_on_20000_images_allocates_little_beyond_the_output(mnist_home):
    # Unbatched, the first layer's activations alone would be 20,000 x 14 x
    # 14 x 8 floats (120 MB): the 50 MB allowance leaves no room for them.
    peaks = run_fresh("test_scaling", "memory_of_predicting", home=str(mnist_home))
    for method, (extra, output) in peaks.items():
        assert extra <= output + 50, (method, extra, output)


def memory_of_predicting(home):
    """For each predicting method on 20,000 images: the MB its peak rose by, and
    its output's; in a fresh interpreter, whose peak memory is its own."""
    X = load_mnist(data_home=home).data[:20_000]
    ae = AutoencoderTransformer(
        10, image_shape=(28, 28), epochs=1, compute_dtype="float32", random_state=0
    ).fit(X[:500])
    Z = ae.transform(X[:500])
    ae.inverse_transform(Z)
    ae.score_samples(X[:500])
    peaks = {}
    for method in ("transform", "inverse_transform", "score_samples"):
        data = ae.transform(X) if method == "inverse_transform" else X
        reset_peak_memory()
        before = memory_mb("VmRSS")
        out = getattr(ae, method)(data)
        peaks[method] = (memory_mb("VmHWM") - before, out.nbytes / 2**20)
        del out
    return peaks
