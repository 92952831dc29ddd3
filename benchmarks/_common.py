"""What every benchmark records beside its figures: the machine and the commit."""

import datetime
import json
import os
import platform
import subprocess
from pathlib import Path


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


def describe(machine):
    """One line naming the machine and the code a result was measured with."""
    bfloat16 = " with native bfloat16" if machine.get("cpu_bfloat16") else ""
    return (
        f"{machine['cpu']}{bfloat16}, {machine['cores']} cores; "
        f"Python {machine['python']}, "
        f"Keras {machine['keras']} on {machine['backend']} "
        f"{machine['backend_version']}; commit {machine['commit']}, {machine['date']}"
    )


def _backend_version(backend):
    import importlib

    try:
        return importlib.import_module(backend).__version__
    except (ImportError, AttributeError):
        return None


def _commit():
    """The checked-out commit, with "+changes" when the tree differs from it."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
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
