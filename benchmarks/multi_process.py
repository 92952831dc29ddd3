"""Data parallelism across processes: two JAX processes on this machine.

    python benchmarks/multi_process.py

What the user guide says of several hosts, done on one: two fresh JAX
interpreters join with ``keras.distribution.initialize`` on a localhost
port (process 0 coordinates), set ``DataParallel`` over the devices of
both (one CPU device each), read the same digits and fit the same model.
Each reports its test score; a one-process fit on one device, in a third
interpreter, is the reference. Writes ``multi_process.json`` and
``multi_process.md`` into ``--out``, with the machine and commit.
``tests/test_backends.py`` runs the same fits under CI's JAX pass.
"""

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from _common import arguments, machine, write_results
from _fresh import run_fresh
from _markdown import results_page, summary_opening

# A digits fit small enough for a test: 1,257 training rows, 10 epochs, in
# batches that two devices split evenly, so that both fits take the same
# steps.
PARAMS = {"z_dim": 10, "epochs": 10, "batch_size": 32, "random_state": 0}
# Seconds a process may take, from its start to its result.
TIMEOUT_S = 300


def main(argv=None):
    args = arguments(__doc__, data_home=False, quick=False).parse_args(argv)
    report = {"machine": machine(), "params": PARAMS, **compare()}
    write_results(args.out, "multi_process", report, markdown(report))
    return report


def compare():
    """A one-process fit and a two-process data-parallel fit of the digits.

    Returns the one-process result (``"single"``) and each process's
    (``"processes"``), with the seconds each took.
    """
    single = run_fresh(
        "multi_process", "fit_digits", env={"KERAS_BACKEND": "jax"}, timeout=TIMEOUT_S
    )
    return {"single": single, "processes": two_processes()}


def two_processes():
    """:func:`fit_digits` in two JAX processes joined on a localhost port."""
    port = _free_port()

    def process(process_id):
        return run_fresh(
            "multi_process",
            "fit_digits",
            env={"KERAS_BACKEND": "jax"},
            timeout=TIMEOUT_S,
            coordinator=f"localhost:{port}",
            process_id=process_id,
        )

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(process, [0, 1]))


def _free_port():
    """A TCP port on localhost that no process listens on now."""
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def fit_digits(coordinator=None, process_id=None):
    """The digits fit of one process, in a fresh JAX interpreter.

    With a ``coordinator`` (``"localhost:PORT"``), the process first joins
    the two-process job as ``process_id`` and trains under ``DataParallel``
    over every process's devices; without, it trains alone on one device.
    """
    import keras
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from skae import AutoencoderTransformer

    if coordinator is not None:
        keras.distribution.initialize(
            job_addresses=coordinator, num_processes=2, process_id=process_id
        )
        devices = keras.distribution.list_devices()
        keras.distribution.set_distribution(
            keras.distribution.DataParallel(devices=devices)
        )
    import jax

    X = load_digits().data / 16
    X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
    start = time.perf_counter()
    model = AutoencoderTransformer(**PARAMS).fit(X_train)
    seconds = time.perf_counter() - start
    return {
        "processes": jax.process_count(),
        "devices": len(jax.devices()),
        "batch_size": model.batch_size_,
        "rows_per_step": _rows_per_step(model.batch_size_, X.shape[1]),
        "epochs": model.n_iter_,
        "fit_s": seconds,
        "test_score": model.score(X_test),
        "codes_of_5": np.asarray(model.transform(X_test[:5])).tolist(),
    }


def _rows_per_step(batch_size, n_features):
    """How many rows one training step computes on, over all processes, when
    each process passes a batch of ``batch_size`` rows (as Keras's JAX
    trainer assembles them: each process's rows are its local share)."""
    import jax
    import keras

    distribution = keras.distribution.distribution()
    if distribution is None:
        return batch_size
    layout = distribution.get_data_layout((batch_size, n_features)).backend_layout
    local = np.zeros((batch_size, n_features), np.float32)
    return int(jax.make_array_from_process_local_data(layout, local).shape[0])


def markdown(report):
    single, processes = report["single"], report["processes"]
    gap = max(abs(p["test_score"] - single["test_score"]) for p in processes)
    fits = ", ".join(f"{p['fit_s']:.1f}" for p in processes)
    line = (
        f"Two JAX processes on localhost, joined by `keras.distribution.initialize`, "
        f"`DataParallel` over their {processes[0]['devices']} CPU devices: a digits "
        f"fit (z_dim={report['params']['z_dim']}, {processes[0]['epochs']} epochs, "
        f"batches of {processes[0]['batch_size']}) scores "
        f"{processes[0]['test_score']:.6f} on the test rows in each process, "
        f"against {single['test_score']:.6f} for one process on one device "
        f"(largest difference {gap:.1e}); fit s {fits} (two processes), "
        f"{single['fit_s']:.1f} (one). Each process passes its whole batch of "
        f"{processes[0]['batch_size']} rows: a step computes on "
        f"{processes[0]['rows_per_step']} rows across the processes."
    )
    return results_page(
        "Data parallelism across two processes",
        summary_opening(report["machine"]),
        [line],
    )


if __name__ == "__main__":
    main()
