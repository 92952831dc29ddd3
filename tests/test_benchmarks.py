"""Smoke tests: every benchmark runs on a tiny slice, so they keep working."""

import json
import subprocess
import sys
from pathlib import Path

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
