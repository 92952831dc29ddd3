"""skae compare on a table and on a folder of images, as a user runs it.

    python benchmarks/cli_examples.py --data-home ../shared/data/mnist

Writes scikit-learn's breast cancer table as a CSV (its diagnosis as text)
and 3,000 of MNIST's test images as PNG files, a folder per digit, into a
scratch folder; runs ``skae compare`` on each in a fresh process whose
standard output is a terminal (a pseudo-terminal), and keeps what the
terminal shows at the end, its results.csv and its figures. Writes
``cli_examples.json`` and ``cli_examples.md`` into ``--out``, and each
run's output, results and figures into ``--out``/cli_examples/: the user
guide's page "From the command line" shows them. ``--quick`` takes 500
images and 2 epochs, as the smoke test does.
"""

import json
import os
import pty
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import arguments, machine, write_results
from _markdown import results_page, summary_opening

N_IMAGES = 3_000
QUICK_IMAGES = 500


def write_breast_cancer_csv(path):
    """scikit-learn's breast cancer table as a CSV: 30 numeric columns and the
    diagnosis, as text."""
    from sklearn.datasets import load_breast_cancer

    table = load_breast_cancer(as_frame=True).frame
    diagnosis = table.pop("target").map({0: "malignant", 1: "benign"})
    table.assign(diagnosis=diagnosis).to_csv(path, index=False)


def write_mnist_pngs(folder, data_home, n):
    """MNIST's first ``n`` test images as 28x28 grey PNGs, a subfolder per digit."""
    from PIL import Image

    from skae.datasets import load_mnist

    mnist = load_mnist(data_home=data_home, subset="test")
    for i, (image, digit) in enumerate(zip(mnist.images[:n], mnist.target[:n])):
        (folder / str(digit)).mkdir(parents=True, exist_ok=True)
        pixels = np.round(image * 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / str(digit) / f"{i:05d}.png")


def runs(data_home, quick):
    """Each example: how its data are written, and the command's arguments."""
    n = QUICK_IMAGES if quick else N_IMAGES
    epochs = ["--epochs", "2"] if quick else []
    return {
        "breast_cancer": (
            lambda where: write_breast_cancer_csv(where / "breast_cancer.csv"),
            ["--data", "breast_cancer.csv", "--label", "diagnosis", *epochs]
            + ["--codes", "codes.csv", "--save-model", "model.skops"],
        ),
        "mnist_png": (
            lambda where: write_mnist_pngs(where / "mnist_png", data_home, n),
            ["--data", "mnist_png", "--label", "folder", *epochs],
        ),
    }


def main(argv=None):
    args = arguments(__doc__).parse_args(argv)
    figures = Path(args.out) / "cli_examples"
    report = {"machine": machine(), "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (write, options) in runs(args.data_home, args.quick).items():
            where = Path(tmp) / name
            where.mkdir()
            write(where)
            command = ["skae", "compare", *options, "--out", f"{name}_results"]
            run = run_in_terminal(command, where)
            kept = figures / name
            shutil.rmtree(kept, ignore_errors=True)
            kept.mkdir(parents=True)
            out = where / f"{name}_results"
            for path in sorted(out.glob("*.png")) + [out / "results.csv"]:
                shutil.copy(path, kept / path.name)
            (figures / f"{name}.txt").write_text(run["shown"])
            if "--save-model" in options:
                run["saved_model_gives_the_codes"] = saved_model_gives_the_codes(where)
            report["runs"][name] = {"command": " ".join(command), **run}
            print(name, json.dumps({k: v for k, v in run.items() if k != "shown"}))
    write_results(args.out, "cli_examples", report, markdown(report))
    return report


def run_in_terminal(command, cwd):
    """``command`` (``skae ...``) in a fresh process whose standard output is a
    pseudo-terminal: its exit status, seconds, and the lines the terminal
    shows at the end (a line rewritten in place shows its last text)."""
    master, terminal = pty.openpty()
    # The command's own handling of TensorFlow's native log lines.
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "skae", *command[1:]],
        stdout=terminal,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
    )
    os.close(terminal)
    received = []
    while True:
        try:
            block = os.read(master, 1 << 16)
        except OSError:  # the process closed the terminal
            break
        if not block:
            break
        received.append(block)
    stderr = process.stderr.read().decode()
    status = process.wait()
    os.close(master)
    text = b"".join(received).decode()
    return {
        "status": status,
        "seconds": time.perf_counter() - start,
        "stderr": stderr,
        "shown": "\n".join(shown_lines(text)) + "\n",
    }


def shown_lines(text):
    """What a terminal shows of ``text``: each line's text after its last
    carriage return, without the erase-to-end-of-line sequence."""
    lines = text.replace("\r\n", "\n").split("\n")
    shown = [line.rsplit("\r", 1)[-1].replace("\x1b[K", "") for line in lines]
    while shown and not shown[-1]:
        shown.pop()
    return shown


def saved_model_gives_the_codes(where):
    """Whether ``skae.load_model`` of the saved pipeline, on the CSV's columns
    read as float32, gives the written codes exactly."""
    import pandas as pd

    import skae

    table = pd.read_csv(where / "breast_cancer.csv")
    features = table.drop(columns="diagnosis").astype(np.float32)
    out = where / "breast_cancer_results"
    codes = pd.read_csv(out / "codes.csv", index_col="row").to_numpy(np.float32)
    model = skae.load_model(out / "model.skops")
    return bool(np.array_equal(model.transform(features), codes))


def markdown(report):
    blocks = [summary_opening(report["machine"])]
    for name, run in report["runs"].items():
        lines = [f"## {name}", "", f"`{run['command']}`: exit status {run['status']}"]
        lines[-1] += f", {run['seconds']:.0f} s"
        if "saved_model_gives_the_codes" in run:
            lines[-1] += "; the saved model gives the written codes exactly: " + (
                "yes" if run["saved_model_gives_the_codes"] else "no"
            )
        lines += ["", "```", *run["shown"].rstrip("\n").split("\n"), "```"]
        blocks.append(lines)
    return results_page("skae compare on a table and on a folder of images", *blocks)


if __name__ == "__main__":
    main()
