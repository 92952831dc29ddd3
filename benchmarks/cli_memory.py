"""Peak memory of ``skae compare --data`` on a large CSV, against a small one.

    python benchmarks/cli_memory.py [--rows 1000000]

Writes a CSV of ``--rows`` rows of 50 float columns into a scratch folder
(deleted afterwards, never kept), and runs ``skae compare --data FILE
--epochs 1 --z-dim 2 5 10 --quiet`` on it in a fresh interpreter, reading
that interpreter's peak resident memory (VmHWM); then the same on 1,000
rows of the same columns, whose peak is the baseline: TensorFlow, the
models and the figures, which do not grow with the data. The data's cost
is the difference; the bound is 3x the float32 size of the data
(rows x 50 x 4 bytes). ``--quick`` uses 100,000 rows, as the test does.

Writes ``cli_memory.json`` and ``cli_memory.md`` into ``--out``, with the
machine and commit.
"""

import tempfile
import time
from pathlib import Path

import numpy as np
from _common import arguments, machine, write_results
from _fresh import memory_mb, run_fresh
from _markdown import results_page, summary_opening, table

N_COLUMNS = 50
BASELINE_ROWS = 1_000
QUICK_ROWS = 100_000
# The bound: the data's cost at most this many times its float32 size.
BOUND = 3
# The command measured, after --data FILE.
COMMAND = ["--epochs", "1", "--z-dim", "2", "5", "10", "--quiet"]


def main(argv=None):
    parser = arguments(__doc__, data_home=False)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    rows = QUICK_ROWS if args.quick else args.rows
    report = {"machine": machine(), **measure(rows)}
    write_results(args.out, "cli_memory", report, markdown(report))
    return report


def measure(rows, scratch=None):
    """Runs on ``rows`` and on ``BASELINE_ROWS`` rows: the report's figures."""
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        runs = {}
        for n in (rows, BASELINE_ROWS):
            path = Path(tmp) / f"rows_{n}.csv"
            write_csv(path, n)
            runs[n] = {
                "csv_mb": path.stat().st_size / 1e6,
                **run_fresh(
                    "cli_memory",
                    "compare",
                    argv=[
                        "compare",
                        "--data",
                        str(path),
                        "--out",
                        f"{tmp}/out",
                        *COMMAND,
                    ],
                ),
            }
            path.unlink()
    large, baseline = runs[rows], runs[BASELINE_ROWS]
    data_mb = rows * N_COLUMNS * 4 / 1e6
    extra_mb = large["peak_rss_mb"] - baseline["peak_rss_mb"]
    return {
        "rows": rows,
        "columns": N_COLUMNS,
        "data_float32_mb": data_mb,
        "command": "skae compare --data FILE " + " ".join(COMMAND),
        "run": large,
        "baseline": {"rows": BASELINE_ROWS, **baseline},
        "data_cost_mb": extra_mb,
        "data_cost_over_data": extra_mb / data_mb,
        "bound": BOUND,
    }


def write_csv(path, rows, chunk=100_000, seed=0):
    """``rows`` rows of ``N_COLUMNS`` float columns with a header: five latent
    factors, a nonlinearity and noise, written a chunk at a time."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(5, N_COLUMNS))
    names = [f"x{i}" for i in range(N_COLUMNS)]
    for first in range(0, rows, chunk):
        n = min(chunk, rows - first)
        factors = rng.normal(size=(n, 5))
        values = np.tanh(factors @ mixing) + 0.1 * rng.normal(size=(n, N_COLUMNS))
        pd.DataFrame(values, columns=names).to_csv(
            path, mode="a", header=first == 0, index=False, float_format="%.5g"
        )


def compare(argv):
    """``skae compare`` with ``argv``, in this (fresh) interpreter: its exit
    status, seconds and peak resident memory."""
    from skae.cli import main

    start = time.perf_counter()
    status = main(argv)
    return {
        "status": status,
        "seconds": time.perf_counter() - start,
        "peak_rss_mb": memory_mb("VmHWM"),
    }


def markdown(report):
    run, baseline = report["run"], report["baseline"]
    rows = [
        [
            f"{report['rows']:,} x {report['columns']}",
            f"{run['csv_mb']:.0f}",
            f"{report['data_float32_mb']:.0f}",
            f"{run['peak_rss_mb']:.0f}",
            f"{run['seconds']:.0f}",
        ],
        [
            f"{baseline['rows']:,} x {report['columns']} (baseline)",
            f"{baseline['csv_mb']:.1f}",
            f"{baseline['rows'] * report['columns'] * 4 / 1e6:.1f}",
            f"{baseline['peak_rss_mb']:.0f}",
            f"{baseline['seconds']:.0f}",
        ],
    ]
    verdict = "within" if report["data_cost_over_data"] < report["bound"] else "over"
    sentence = (
        f"`{report['command']}` on {report['rows']:,} rows of {report['columns']} "
        f"float columns peaked at {run['peak_rss_mb']:.0f} MB resident, "
        f"{baseline['peak_rss_mb']:.0f} MB on {baseline['rows']:,} rows (TensorFlow, "
        f"the models, the figures): the data cost {report['data_cost_mb']:.0f} MB, "
        f"{report['data_cost_over_data']:.2f}x their float32 size of "
        f"{report['data_float32_mb']:.0f} MB, {verdict} the bound of "
        f"{report['bound']}x."
    )
    summary = [*summary_opening(report["machine"]), "", sentence]
    header = "data | CSV MB | float32 MB | peak resident MB | seconds"
    note = (
        "Each run is a fresh interpreter; its peak resident memory is VmHWM. "
        "The CSV is written for the run and deleted after it."
    )
    return results_page(
        "Memory of skae compare on a large CSV", summary, table(header, rows), [note]
    )


if __name__ == "__main__":
    main()
