"""How long the README's commands take on a fresh clone: the figures it quotes.

    python benchmarks/ci_timings.py

Clones this repository's HEAD into a temporary folder beside a copy of
``../shared``, then runs, timing each: the README's main-job command
(install, then ``skae compare``), and ``.ci/run`` (a fresh install and the
test suite, as the README says, then the other Keras backends' core tests,
the documentation, the release's wheel and sdist, and the core tests of the
installed wheel at the dependency floors, as CONTRIBUTING.md says), splitting its time by the lines it prints. Writes
``ci_timings.json`` and ``ci_timings.md`` into ``--out``.

The two tests of the file this script is about to write (CONTRIBUTING.md
quoting it, and it against its renderer) are left out of the timed run:
the clone cannot hold it yet. They take a fraction of a second.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from _common import arguments, machine, write_results
from _markdown import results_page, summary_opening

ROOT = Path(__file__).resolve().parents[1]
# The environment of a user's shell: importing TensorFlow (machine() does)
# sets variables of its own, TF_CPP_MIN_LOG_LEVEL among them, which would
# reach the commands timed.
SHELL_ENV = dict(os.environ)


def readme_command(marker):
    lines = (ROOT / "README.md").read_text().splitlines()
    return lines[lines.index(f"<!-- {marker} -->") + 2]


# The checks of the results file this script is about to write: the page
# that quotes it, and the file against its renderer (which may have changed
# since the file was written, as the CI it times has).
WRITTEN_HERE_CHECKS = (
    "tests/test_docs.py::test_pages_quote_the_results_files_word_for_word[CONTRIBUTING.md]",
    "tests/test_benchmarks.py::test_a_results_file_is_what_its_benchmark_writes"
    "[ci_timings.md]",
)


def timed_shell(command, cwd, env=SHELL_ENV):
    start = time.perf_counter()
    # A failing command is a figure to report, its exit status, not an error.
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return result, time.perf_counter() - start


def main(argv=None):
    args = arguments(__doc__, data_home=False, quick=False).parse_args(argv)
    report = {"machine": machine()}
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "main"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        shutil.copytree(ROOT.parent / "shared", Path(tmp) / "shared", symlinks=True)
        main_job = readme_command("main-command")
        result, seconds = timed_shell(main_job, clone)
        report["main_job"] = {
            "command": main_job,
            "seconds": seconds,
            "returncode": result.returncode,
            "compare_seconds": _compare_seconds(result.stdout),
            "verdict": next(
                (
                    line
                    for line in result.stdout.splitlines()
                    if line.startswith("Verdict")
                ),
                None,
            ),
        }
        deselected = " ".join(f"--deselect {check}" for check in WRITTEN_HERE_CHECKS)
        env = dict(SHELL_ENV, CI="true", PYTEST_ADDOPTS=deselected)
        result, seconds = timed_shell("bash .ci/run", clone, env)
        report["ci"] = {
            "seconds": seconds,
            "returncode": result.returncode,
            "phases": {
                key: int(value)
                for key, value in re.findall(
                    r"^(\w[\w ]*) finished after (\d+) s$", result.stdout, re.MULTILINE
                )
            },
            "pytest_summaries": re.findall(
                r"^=+ (.* in [\d.]+s.*) =+$", result.stdout, re.MULTILINE
            ),
            "tail": result.stdout[-3000:] + result.stderr[-3000:],
        }
    write_results(args.out, "ci_timings", report, markdown(report))
    return report


def _compare_seconds(output):
    """The seconds skae compare itself reported, summed over its fits.

    Each fit ends with a line such as "autoencoder z_dim=10 fitted in 4.8 s".
    """
    return sum(
        float(s) for s in re.findall(r" fitted in ([\d.]+) s$", output, re.MULTILINE)
    )


# What each phase of .ci/run does, as the README names it.
PHASES = {
    "tests": "install and the test suite (TensorFlow)",
    "backends": "JAX and PyTorch installs and core tests",
    "docs": "documentation build (runs the gallery)",
    "release": "wheel and sdist built, twine check",
    "floors": "the wheel installed at the dependency floors, main job and core tests",
}

# .ci/run's pytest runs, in the order it makes them.
PYTEST_RUNS = (
    "TensorFlow, whole suite",
    "JAX, core tests",
    "PyTorch, core tests",
    "TensorFlow, the installed wheel at the dependency floors, core tests",
)


def phase_durations(finished_after):
    """Each phase's own seconds, from .ci/run's "<phase> finished after <s> s"
    lines, which count from the start of the run; the closing "CI" line
    repeats the total."""
    durations, previous = {}, 0
    for phase, seconds in finished_after.items():
        if phase != "CI":
            durations[phase], previous = seconds - previous, seconds
    return durations


def markdown(report):
    ci, job = report["ci"], report["main_job"]
    lines = [
        (
            f"- main job (install and `skae compare`): {job['seconds'] / 60:.1f} "
            f"min, exit status {job['returncode']}; its fits took "
            f"{job['compare_seconds']:.0f} s"
        ),
        f"  - {job['verdict']}",
        f"- `.ci/run`: {ci['seconds'] / 60:.1f} min, exit status {ci['returncode']}",
    ]
    for phase, seconds in phase_durations(ci["phases"]).items():
        lines.append(f"  - {PHASES.get(phase, phase)}: {seconds / 60:.1f} min")
    for run, summary in zip(PYTEST_RUNS, ci["pytest_summaries"]):
        lines.append(f"  - pytest, {run}: {summary}")
    return results_page(
        "The README's commands on a fresh clone",
        summary_opening(report["machine"]),
        lines,
    )


if __name__ == "__main__":
    main()
