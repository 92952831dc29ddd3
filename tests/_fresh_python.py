"""Run code in a new Python interpreter, as a user's next session would."""

import os
import subprocess
import sys
import textwrap

import keras


def run_python(code, **env):
    """Run ``code`` in a fresh interpreter and return what it printed.

    The interpreter uses this process's Keras backend unless ``env`` names
    another (``KERAS_BACKEND="jax"``); ``env`` adds to this process's
    environment. A failure shows the child's own traceback.
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        check=False,
        text=True,
        env={
            **os.environ,
            "KERAS_BACKEND": keras.backend.backend(),
            "TF_CPP_MIN_LOG_LEVEL": "3",
            **env,
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout
