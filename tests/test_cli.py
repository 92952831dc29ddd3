import subprocess
import sys

import pandas as pd
import pytest

from skae.cli import main

EXPECTED_FIGURES = {
    "reconstructions_autoencoder_z3.png",
    "reconstructions_pca_z3.png",
    "latent_scatter_z2.png",
    "latent_grid_z2.png",
    "error_vs_z.png",
    "training_curves_z2.png",
    "training_curves_z3.png",
}


def test_compare_on_digits_writes_table_csv_and_figures(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(
        [
            "compare",
            "--dataset",
            "digits",
            "--z-dim",
            "2",
            "3",
            "--epochs",
            "3",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "z_dim=2 epoch 3:" in printed  # progress while training
    assert "Test reconstruction error on 540 digits images" in printed
    results = pd.read_csv(out / "results.csv")
    assert list(results["method"]) == ["PCA", "autoencoder"] * 2
    assert list(results["z_dim"]) == [2, 2, 3, 3]
    assert (results["mse"] > 0).all() and (results["mse"] < 0.2).all()
    assert results["compression"].tolist() == [32.0, 32.0, 64 / 3, 64 / 3]
    assert EXPECTED_FIGURES <= {p.name for p in out.iterdir()}


def test_auto_falls_back_to_digits_and_says_so(tmp_path, capsys):
    main(
        [
            "compare",
            "--data-home",
            str(tmp_path / "nothing"),
            "--z-dim",
            "2",
            "--epochs",
            "1",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    printed = capsys.readouterr().out
    assert "MNIST not available" in printed and "digits instead" in printed


def test_quiet_prints_only_the_table(tmp_path, capsys):
    main(
        [
            "compare",
            "--dataset",
            "digits",
            "--z-dim",
            "2",
            "--epochs",
            "1",
            "--quiet",
            "--out",
            str(tmp_path),
        ]
    )
    printed = capsys.readouterr().out
    assert "z_dim=2 epoch" not in printed and printed.strip().startswith(
        "Test reconstruction"
    )


def test_python_dash_m_and_help():
    result = subprocess.run(
        [sys.executable, "-m", "skae", "compare", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--z-dim" in result.stdout and "--data-home" in result.stdout


def test_mnist_missing_offline_is_a_clear_error(tmp_path, no_network):
    with pytest.raises(OSError, match="not found"):
        main(
            [
                "compare",
                "--dataset",
                "mnist",
                "--data-home",
                str(tmp_path),
                "--out",
                str(tmp_path / "out"),
            ]
        )
