"""Call a function in a fresh Python interpreter, as a user's next session would.

    python -m _fresh MODULE FUNCTION '{"keyword": "arguments, as JSON"}'

imports ``MODULE`` (a benchmark or a test module), calls ``FUNCTION`` with
the keyword arguments and prints what it returns, as JSON, on the last line;
:func:`run_fresh` is the parent's side. What must happen in a new
interpreter (a thread budget read when a backend starts, a model loaded
under another backend, a process's own peak memory) is a real function of
its module, linted like the rest, never code in a string.
"""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The folders of the modules whose functions run in fresh interpreters.
MODULE_FOLDERS = (ROOT / "benchmarks", ROOT / "tests")


def run_fresh(module, function, env=None, timeout=None, **kwargs):
    """``module.function(**kwargs)`` in a fresh interpreter; what it returned.

    The interpreter uses this process's Keras backend unless ``env`` names
    another (``{"KERAS_BACKEND": "jax"}``); ``env`` adds to this process's
    environment (``OMP_NUM_THREADS``, ``XLA_FLAGS``, ...). A failure raises
    a RuntimeError that shows the child's own traceback; so does a child
    still running after ``timeout`` seconds, which is killed.
    """
    import keras

    path = [str(folder) for folder in MODULE_FOLDERS]
    if os.environ.get("PYTHONPATH"):
        path.append(os.environ["PYTHONPATH"])
    try:
        result = subprocess.run(
            [sys.executable, "-m", "_fresh", module, function, json.dumps(kwargs)],
            capture_output=True,
            check=False,
            text=True,
            timeout=timeout,
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join(path),
                "KERAS_BACKEND": keras.backend.backend(),
                "TF_CPP_MIN_LOG_LEVEL": "3",
                **(env or {}),
            },
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(
            f"{module}.{function} ran past {timeout} s in a fresh interpreter:\n"
            f"{(exc.stderr or b'')[-3000:].decode(errors='replace')}"
        ) from None
    if result.returncode != 0:
        raise RuntimeError(
            f"{module}.{function} failed in a fresh interpreter:\n"
            f"{result.stderr[-3000:]}"
        )
    return json.loads(result.stdout.splitlines()[-1])


def memory_mb(field):
    """A memory figure of this process from /proc/self/status, in MB.

    ``"VmHWM"`` is the peak resident size, ``"VmRSS"`` the current one,
    ``"RssAnon"`` its anonymous part (without the pages of files or memory
    maps, which the kernel may reclaim at will). Not ``ru_maxrss``: Linux
    carries it over from the parent across exec, so a child would report
    its parent's peak.
    """
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


def reset_peak_memory():
    """Set the peak resident size (``VmHWM``) back to the current size."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def _main(module, function, kwargs):
    result = getattr(importlib.import_module(module), function)(**json.loads(kwargs))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    _main(*sys.argv[1:])
