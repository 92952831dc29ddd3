"""Smoke tests: every benchmark runs on a tiny slice, so they keep working."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist"

pytestmark = pytest.mark.skipif(not MNIST.is_dir(), reason="real MNIST not found")


def run_quick(script, out):
    """Run a benchmark with --quick on real MNIST, writing into ``out``."""
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / script),
            "--quick",
            "--data-home",
            str(MNIST),
            "--out",
            str(out),
        ],
        cwd=out,
        check=True,
        capture_output=True,
        text=True,
    )


def test_performance_benchmarks_quick(tmp_path):
    run_quick("run_all.py", tmp_path)
    report = json.loads((tmp_path / "performance.json").read_text())
    assert report["fit_overhead"]["ratio"] > 0
    assert {r["recipe"] for r in report["time_to_quality"]} == {
        "PCA",
        "tutorial",
        "skae defaults",
    }
    assert report["throughput_images_per_s"]["skae transform"] > 0
    assert report["memory"]["data_mb"] == pytest.approx(1000 * 784 * 4 / 2**20)
    assert 0 < report["achieved_compute"]["share_of_peak"] < 1
    assert "Fit overhead" in (tmp_path / "performance.md").read_text()


def test_generative_benchmark_quick(tmp_path):
    run_quick("generative.py", tmp_path)
    report = json.loads((tmp_path / "generative.json").read_text())
    denoising = report["denoising_mse_vs_clean (noise std 0.5)"]
    assert set(denoising) == {
        "denoising autoencoder",
        "plain autoencoder",
        "PCA",
        "noisy input itself",
    }
    for values in report["sampling (z_dim=2, 1000 samples)"].values():
        assert sum(values["class_counts"]) == 1000
    auc = report["anomaly_roc_auc (train 0-4, flag 5-9)"]
    assert 0 <= auc["autoencoder"] <= 1 and 0 <= auc["PCA"] <= 1


def test_parallel_search_benchmark_quick(tmp_path):
    run_quick("parallel_search.py", tmp_path)
    results = json.loads((tmp_path / "parallel_search_mnist.json").read_text())
    assert [r["n_jobs"] for r in results] == [1, 2]
    # Both searches fit the same seeded candidates on the same folds.
    np.testing.assert_allclose(results[0]["scores"], results[1]["scores"], rtol=1e-5)


def test_streaming_benchmark_quick(tmp_path):
    run_quick("streaming.py", tmp_path)
    results = json.loads((tmp_path / "streaming.json").read_text())
    assert len(results) == 4
    streamed = results["partial_fit, 2k memory-mapped, 1 pass"]
    assert streamed["peak_anonymous_mb_while_streaming"] > 0
    assert 0 < streamed["test_mse"] < 0.2


def test_digits_benchmark_quick(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "digits_vs_pca.py"), "--quick"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0] for row in rows[2:]] == [
        "| PCA(10)",
        "| autoencoder, flat rows",
        "| autoencoder, image_shape=(8, 8)",
    ]
