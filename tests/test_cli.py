"""The skae command: the comparison, its verdict, its figures, and polite errors."""

import os
import subprocess
import sys

import pandas as pd
import pytest

import skae
from skae.cli import main

EXPECTED_FIGURES = {
    "reconstructions_autoencoder_z3.png",
    "reconstructions_pca_z3.png",
    "latent_scatter_z2.png",
    "latent_grid_z2.png",
    "error_vs_z.png",
    "training_curves.png",
}


@pytest.fixture
def no_mnist(monkeypatch, tmp_path):
    """No MNIST anywhere the command looks by default."""
    monkeypatch.setenv("SKAE_DATA_HOME", str(tmp_path / "nothing"))


def test_compare_on_digits_writes_table_verdict_csv_and_figures(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(
        ["compare", "--dataset", "digits", "--z-dim", "2", "3", "--epochs", "30"]
        + ["--out", str(out)]
    )
    assert status == 0
    printed = capsys.readouterr().out
    # In a log (not a terminal), each fit's first epoch's line, then one
    # every 10 s at most: a few lines per fit, not one per epoch.
    progress = [line for line in printed.splitlines() if line.endswith(" s so far)")]
    assert progress[0].startswith("autoencoder z_dim=2 epoch 1/30:")
    assert "left" not in printed  # no line guesses the time left
    assert "an autoencoder for each z_dim, fitted alone" in printed
    assert "Test reconstruction error on 540 digits images" in printed
    results = pd.read_csv(out / "results.csv")
    assert list(results["method"]) == ["PCA", "autoencoder"] * 2
    assert list(results["z_dim"]) == [2, 2, 3, 3]
    # PCA on 540 held-out digits: 0.0537 and 0.0452; the autoencoder beats
    # both, well below the mean image's 0.073 (or 0.179 for a flat 0.5).
    pca = results[results["method"] == "PCA"]["mse"].to_numpy()
    ae = results[results["method"] == "autoencoder"]["mse"].to_numpy()
    assert pca == pytest.approx([0.0537, 0.0452], abs=5e-4)
    assert (ae < 0.85 * pca).all()
    assert results["compression"].tolist() == [32.0, 32.0, 64 / 3, 64 / 3]
    assert EXPECTED_FIGURES <= {p.name for p in out.iterdir()}
    verdict = next(line for line in printed.splitlines() if line.startswith("Verdict"))
    assert "the autoencoder reconstructs better than PCA at every z_dim" in verdict
    assert "x lower error at z_dim=2" in verdict
    fit_seconds = results.loc[results["method"] == "autoencoder", "fit_seconds"].sum()
    assert len(progress) <= 2 * 2 + fit_seconds / 10  # two fits


def test_verdict_says_who_wins_and_which_fits_hit_the_cap():
    from skae.cli import verdict

    results = pd.DataFrame(
        {
            "method": ["PCA", "autoencoder"] * 3,
            "z_dim": [2, 2, 10, 10, 30, 30],
            "mse": [0.05, 0.025, 0.01, 0.0100, 0.003, 0.006],
            "epochs": [None, 12, None, 30, None, 30],
            "best_epoch": [None, 2, None, 25, None, 30],
            "stopped": ["", "early", "", "epoch cap", "", "epoch cap"],
        }
    )
    line = verdict(results, "digits", 540)
    assert line.startswith("Verdict on 540 held-out digits images: neither wins")
    assert "2.00x lower error at z_dim=2" in line
    assert "ties PCA at z_dim=10" in line  # equal errors: no winner, no 1.00x
    assert "PCA 2.00x lower at z_dim=30" in line
    # at the cap, but past its best (kept epoch 25 of 30): not still improving
    assert "the autoencoder at z_dim=30 stopped at the epoch cap, still improving" in line
    assert "z_dim=10 stopped" not in line and "z_dim=30, " not in line


def test_verdict_says_where_training_kept_the_pca_start():
    from skae.cli import verdict

    results = pd.DataFrame(
        {
            "method": ["PCA", "autoencoder"],
            "z_dim": [2, 2],
            "mse": [0.05, 0.05],
            "epochs": [None, 3],
            "best_epoch": [None, 0],
            "stopped": ["", "kept PCA"],
        }
    )
    line = verdict(results, "random images", 30)
    assert "the autoencoder ties PCA at every z_dim: ties PCA at z_dim=2" in line
    assert "at z_dim=2 the autoencoder kept the PCA start: training did not improve" in line
    assert "epoch cap" not in line


def test_no_arguments_compares_digits_at_sizes_that_suit_them(
    tmp_path, capsys, no_mnist, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert main(["compare", "--epochs", "2", "--quiet"]) == 0
    results = pd.read_csv(tmp_path / "skae_results" / "results.csv")
    assert sorted(set(results["z_dim"])) == [2, 5, 10]
    assert set(results["stopped"].dropna()) <= {"early", "epoch cap"}


@pytest.fixture
def mnist_slice(mnist_home, monkeypatch):
    """load_mnist gives the first 2,000 training and 500 test images; calls are kept."""
    from skae.datasets import load_mnist

    calls = []

    def first_images(**kwargs):
        calls.append(kwargs)
        bunch = load_mnist(**kwargs)
        n = 2000 if kwargs["subset"] == "train" else 500
        bunch.data, bunch.target = bunch.data[:n], bunch.target[:n]
        return bunch

    monkeypatch.setattr("skae.datasets.load_mnist", first_images)
    monkeypatch.setenv("SKAE_DATA_HOME", str(mnist_home.parent))
    return calls


def test_auto_picks_mnist_when_found_and_never_downloads(tmp_path, mnist_slice):
    status = main(
        ["compare", "--z-dim", "10", "--epochs", "2", "--quiet", "--out", str(tmp_path)]
    )
    assert status == 0
    assert [call["download_if_missing"] for call in mnist_slice] == [False, False]
    results = pd.read_csv(tmp_path / "results.csv")
    ae = results[results["method"] == "autoencoder"].iloc[0]
    pca = results[results["method"] == "PCA"].iloc[0]
    assert ae["sse_per_image"] == pytest.approx(ae["mse"] * 784)  # MNIST's pixels
    assert ae["mse"] < pca["mse"]  # the PCA start, then better


def test_compare_dataset_mnist_with_a_data_home(tmp_path, mnist_home, mnist_slice):
    status = main(
        ["compare", "--dataset", "mnist", "--data-home", str(mnist_home)]
        + ["--z-dim", "2", "--epochs", "1", "--quiet", "--out", str(tmp_path)]
    )
    assert status == 0
    assert mnist_slice[0]["data_home"] == str(mnist_home)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--z-dim", "0"], "--z-dim: must be at least 1"),
        (["--z-dim", "65", "--dataset", "digits"], "z_dim can be at most 64"),
        (["--epochs", "0"], "--epochs: must be at least 1"),
        (["--random-state", "abc"], "--random-state: not an integer"),
        (["--random-state", "-1"], "--random-state: must be an integer from 0"),
        (["--dataset", "cifar"], "invalid choice: 'cifar'"),
    ],
)
def test_user_errors_are_one_line_and_status_2(arguments, message, tmp_path, capsys):
    status = main(["compare", "--out", str(tmp_path / "out"), *arguments])
    assert status == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], captured.err
    assert lines[0].startswith("skae: error:")
    assert not (tmp_path / "out").exists()  # nothing written before the checks


def test_an_out_folder_that_cannot_be_created(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["compare", "--out", str(blocker / "out")]) == 2
    assert "--out" in capsys.readouterr().err


def test_explicit_data_home_without_the_files_is_an_error(tmp_path, capsys):
    status = main(
        ["compare", "--data-home", str(tmp_path / "empty"), "--out", str(tmp_path)]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert "not found in" in err and len(err.strip().splitlines()) == 1


def test_mnist_missing_and_not_downloadable(tmp_path, capsys, no_mnist, no_network):
    status = main(["compare", "--dataset", "mnist", "--out", str(tmp_path)])
    assert status == 2
    assert "could not be downloaded" in capsys.readouterr().err


def test_auto_falls_back_to_digits_and_says_so(tmp_path, capsys, no_mnist):
    main(["compare", "--z-dim", "2", "--epochs", "1", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "MNIST not found; using scikit-learn's 8x8 digits instead." in printed


def test_quiet_prints_only_the_results(tmp_path, capsys):
    main(
        ["compare", "--dataset", "digits", "--z-dim", "2", "--epochs", "1"]
        + ["--quiet", "--out", str(tmp_path)]
    )
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[0].startswith("Test reconstruction")
    assert printed[-1].startswith("Verdict")


def _skae(*arguments, env=None):
    return subprocess.run(
        [sys.executable, "-m", "skae", *arguments],
        capture_output=True,
        check=False,
        text=True,
        env={k: v for k, v in (env or os.environ).items() if k != "TF_CPP_MIN_LOG_LEVEL"},
    )


def test_version_and_help_show_every_default():
    assert _skae("--version").stdout.strip() == f"skae {skae.__version__}"
    help_text = " ".join(_skae("compare", "--help").stdout.split())
    for option, default in [
        ("--dataset", "(default: auto)"),
        ("--data-home", "(default: $SKAE_DATA_HOME/mnist, else ~/skae_data/mnist)"),
        ("--z-dim", "(default: 2 5 10 for digits, 2 10 30 for MNIST"),
        ("--epochs", "(default: AutoencoderTransformer's \"auto\""),
        ("--out", "(default: skae_results)"),
        ("--random-state", "(default: 0)"),
        ("--columns", "(default: every numeric column but the label's)"),
        ("--missing", "(default: drop)"),
        ("--sep", "(default: found in its first lines, among , ; tab |)"),
    ]:
        assert option in help_text and default in help_text
    for option in ("--data", "--drop", "--label", "--image-size", "--save-model"):
        assert option in help_text
    assert help_text.count("(default") == 9
    # the description as argparse prints it: one per cent sign, not two
    assert "on a 70% training split, score both on the other 30%" in help_text
    assert "%%" not in help_text


def test_the_command_prints_no_tensorflow_lines_or_warnings(tmp_path):
    result = _skae(
        "compare", "--dataset", "digits", "--z-dim", "2", "--epochs", "1",
        "--quiet", "--out", str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "cuInit" not in result.stdout and "oneDNN" not in result.stdout


def test_a_user_error_in_the_command_is_one_line(tmp_path):
    result = _skae("compare", "--epochs", "0", "--out", str(tmp_path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


# -- the arguments, checked without fitting anything ------------------------------


def _parse(*arguments):
    from skae import cli

    return cli._parser().parse_args(["compare", *arguments])


def test_a_bare_compare_takes_the_documented_defaults():
    from skae import cli

    assert vars(_parse()) == {
        "command": "compare",
        "dataset": "auto",
        "data": None,
        "data_home": None,
        "columns": None,
        "drop": None,
        "label": None,
        "missing": "drop",
        "sep": None,
        "image_size": None,
        "z_dim": None,
        "epochs": None,
        "out": "skae_results",
        "save_model": None,
        "codes": None,
        "random_state": 0,
        "quiet": False,
        "verbose": False,
        "run": cli.compare_command,
    }


def test_every_option_reaches_its_setting_at_the_edges_of_its_range():
    args = _parse(
        "--data", "x.csv", "--columns", "a", "b", "--drop", "c", "--label", "y",
        "--missing", "error", "--image-size", "1", "9", "--z-dim", "1", "64",
        "--epochs", "1", "--out", "o", "--save-model", "m.skops",
        "--codes", "c.npy", "--random-state", str(2**32 - 1), "--verbose",
    )  # fmt: skip
    assert (args.data, args.columns, args.drop, args.label) == (
        "x.csv",
        ["a", "b"],
        ["c"],
        "y",
    )
    assert (args.missing, args.image_size, args.z_dim) == ("error", [1, 9], [1, 64])
    assert (args.epochs, args.out, args.save_model, args.codes) == (
        1,
        "o",
        "m.skops",
        "c.npy",
    )
    assert (args.random_state, args.quiet, args.verbose) == (2**32 - 1, False, True)
    assert _parse("--random-state", "0", "--quiet").random_state == 0
    assert _parse("--missing", "drop").missing == "drop"
    assert _parse("--dataset", "mnist", "--data-home", "h").data_home == "h"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--z-dim", "2", "0"], "--z-dim: must be at least 1, got 0"),
        (["--image-size", "8", "0"], "--image-size: must be at least 1, got 0"),
        (["--epochs", "1.5"], "--epochs: not an integer: '1.5'"),
        (
            ["--random-state", str(2**32)],
            "--random-state: must be an integer from 0 to 2**32 - 1, got 4294967296",
        ),
        (["--missing", "keep"], "--missing: invalid choice: 'keep'"),
        (["--quiet", "--verbose"], "--verbose: not allowed with argument --quiet"),
        (
            ["--image-size", "8", "8"],
            "--image-size is for your own data: give it with --data",
        ),
        (
            ["--dataset", "digits", "--data-home", "h"],
            "--data-home is for MNIST; --dataset digits needs none",
        ),
    ],
)
def test_values_just_outside_their_range_are_refused(
    arguments, message, tmp_path, capsys
):
    assert main(["compare", "--out", str(tmp_path / "out"), *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skae: error: ") and message in err
    assert not (tmp_path / "out").exists()


def test_version_help_and_no_command_in_process(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out == f"skae {skae.__version__}\n"
    assert main([]) == 2  # no command: the help, and a usage error's status
    assert capsys.readouterr().out.startswith("usage: skae [-h] [--version] {compare}")
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert help_text.startswith("usage: skae compare [-h]")
    for shown in [
        "[--dataset {auto,mnist,digits} | --data PATH]",
        "--columns COL [COL ...]",
        "--drop COL [COL ...]",
        "--label COL",
        "--image-size H W",
        "--z-dim N [N ...]",
        "--save-model FILE.skops",
        "--codes FILE",
        "seed of the split and of the autoencoder (default: 0)",
        "print only the results",
        "choosing what --data holds:",
    ]:
        assert shown in help_text
    # Each default once, and none for a flag or an option without one.
    assert help_text.count("(default") == 9
    assert "(default: False)" not in help_text and "(default: None)" not in help_text


def test_an_out_that_is_a_file_or_not_writable_is_refused(
    tmp_path, monkeypatch, capsys
):
    (tmp_path / "taken").write_text("")
    assert main(["compare", "--out", str(tmp_path / "taken")]) == 2
    assert capsys.readouterr().err == (
        f"skae: error: --out {tmp_path / 'taken'}: cannot create it "
        "(a file of that name exists)\n"
    )
    # Root may write anywhere, so the refusal is asked of os.access itself.
    monkeypatch.setattr(os, "access", lambda path, mode: not mode & os.W_OK)
    assert main(["compare", "--out", str(tmp_path / "new" / "out")]) == 2
    assert capsys.readouterr().err == (
        f"skae: error: --out {tmp_path / 'new' / 'out'}: {tmp_path} is not writable\n"
    )


def _find_spec(monkeypatch, *, installed=(), missing=()):
    """importlib finds the modules ``installed`` and not those ``missing``."""
    import importlib.util

    real = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name in missing:
            return None
        return object() if name in installed else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


@pytest.mark.parametrize(
    "options",
    [
        ["--save-model", "m.skops"],
        ["--codes", "C.CSV"],
        ["--codes", "c.npy"],
        ["--codes", "c.parquet"],
        ["--codes", "c.pq"],
    ],
)
def test_output_files_that_can_be_written_pass_the_checks(
    options, tmp_path, monkeypatch
):
    from skae import cli

    _find_spec(monkeypatch, installed=("skops", "pyarrow"))
    out = tmp_path / "out"
    assert cli._check_arguments(_parse("--out", str(out), *options)) == out
    assert not out.exists()  # made only once the data are read


@pytest.mark.parametrize(
    "options, missing, message",
    [
        (
            ["--save-model", "m.skops"],
            "skops",
            "--save-model needs skops: pip install 'skae[skops]'",
        ),
        (
            ["--codes", "c.parquet"],
            "pyarrow",
            "--codes in Parquet needs pyarrow: pip install 'skae[parquet]'",
        ),
        (
            ["--codes", "c.PQ"],
            "pyarrow",
            "--codes in Parquet needs pyarrow: pip install 'skae[parquet]'",
        ),
    ],
)
def test_output_files_whose_writer_is_missing_are_refused(
    options, missing, message, tmp_path, monkeypatch
):
    from skae import cli

    _find_spec(monkeypatch, installed=("skops", "pyarrow"), missing=(missing,))
    with pytest.raises(cli.UsageError) as error:
        cli._check_arguments(_parse("--out", str(tmp_path), *options))
    assert str(error.value) == message


def test_the_out_folder_is_made_with_its_parents_and_holds_relative_files(
    tmp_path, monkeypatch
):
    from pathlib import Path

    from skae import cli

    out = tmp_path / "a" / "b"
    assert cli._make_out(out) == out and out.is_dir()
    assert cli._make_out(out) == out  # there already: fine
    assert cli._in_out(out, "m.skops") == out / "m.skops"
    assert cli._in_out(out, str(tmp_path / "c.npy")) == tmp_path / "c.npy"

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(cli.UsageError) as error:
        cli._make_out(tmp_path / "c")
    assert (
        str(error.value)
        == f"--out {tmp_path / 'c'}: cannot create it (Permission denied)"
    )


def test_z_dim_may_equal_the_number_of_pixels():
    from skae import cli

    cli._check_z_dims([2, 64], "digits")
    cli._check_z_dims([784], "mnist")
    with pytest.raises(
        cli.UsageError, match="--z-dim 785: mnist images have 784 pixels"
    ):
        cli._check_z_dims([2, 785], "mnist")
