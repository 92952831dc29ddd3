"""What every benchmark shares: its options, MNIST, the machine, the results files.

A benchmark measures, gathers what it measured into a report (a dict
holding :func:`machine`), and writes it with :func:`write_results` beside
its markdown rendering, ``markdown(report)`` (built with ``_markdown``).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
from pathlib import Path

from sklearn.utils import Bunch


def arguments(doc, *, data_home=True, quick=True):
    """A parser of the options benchmarks share: ``--data-home``, ``--out``, ``--quick``.

    ``doc`` is the script's docstring; its first line describes the script.
    A benchmark adds its own options to the parser it gets.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if data_home:
        parser.add_argument(
            "--data-home", help="the MNIST folder (default: skae's data home)"
        )
    parser.add_argument(
        "--out", default="benchmarks/results", help="the folder of the results files"
    )
    if quick:
        parser.add_argument(
            "--quick", action="store_true", help="a small slice, as the smoke test runs"
        )
    return parser


def mnist(data_home, subset="train", n=None):
    """The first ``n`` images of an MNIST subset (all of them with None).

    A Bunch of ``data`` (flat rows), ``images`` and ``target``, each cut to
    ``n`` rows (views, not copies).
    """
    from skae.datasets import load_mnist

    full = load_mnist(data_home=data_home, subset=subset)
    return Bunch(data=full.data[:n], images=full.images[:n], target=full.target[:n])


def mnist_train_test(data_home, quick):
    """MNIST's training and test sets: whole, or 1,000 and 500 images if ``quick``."""
    n_train, n_test = (1_000, 500) if quick else (None, None)
    return mnist(data_home, "train", n_train), mnist(data_home, "test", n_test)


def machine():
    """The CPU, core count, software versions and the commit measured."""
    import keras
    import numpy
    import sklearn

    from skae._hardware import cpu_has_bfloat16, cpu_model

    return {
        "cpu": cpu_model(),
        # Model names hide generations ("AMD EPYC"): bfloat16 changes timings.
        "cpu_bfloat16": cpu_has_bfloat16(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "backend_version": _backend_version(keras.backend.backend()),
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
        "commit": _commit(),
        "date": datetime.date.today().isoformat(),
    }


def _backend_version(backend):
    import importlib

    try:
        return importlib.import_module(backend).__version__
    except (ImportError, AttributeError):
        return None


def _commit():
    """The checked-out commit, with "+changes" when the tree differs from it."""

    def git(*args):
        return subprocess.run(
            ["git", *args],
            cwd=Path(__file__).resolve().parents[1],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+changes" if dirty else "")


def write_results(out, name, report, markdown):
    """Write ``name.json`` and ``name.md`` into ``out``; print the markdown."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / f"{name}.md").write_text(markdown)
    print(markdown)
