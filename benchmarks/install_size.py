"""What ``pip install`` of skae weighs: a fresh virtual environment, measured.

    python benchmarks/install_size.py

Builds skae's wheel from the checkout, installs it (no extras) into a new
virtual environment in a temporary folder, and measures the environment on
disk, whole and by the largest installed packages. Writes
``install_size.json`` and ``install_size.md`` into ``--out``. ``--quick``
only measures the wheel, for the smoke test.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from _common import arguments, machine, write_results
from _markdown import results_page, summary_opening, table

ROOT = Path(__file__).resolve().parents[1]
# Packages named in the summary, with their share of the install.
LARGEST = 6


def folder_mb(path):
    """The bytes of every file under ``path`` (links not followed), in MB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def build_wheel(folder):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(ROOT)],
        check=True,
    )
    (wheel,) = Path(folder).glob("skae-*.whl")
    return wheel


def installed_sizes(wheel, venv):
    """Install ``wheel`` into a new environment ``venv``; its size by top-level folder."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    packages = {
        entry.name: folder_mb(entry)
        for entry in site.iterdir()
        if entry.is_dir() and not entry.name.endswith((".dist-info", "__pycache__"))
    }
    return folder_mb(venv), packages


def main(argv=None):
    args = arguments(__doc__, data_home=False).parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(tmp)
        report = {"machine": machine(), "wheel": wheel.name, "wheel_mb": wheel.stat().st_size / 1e6}
        if not args.quick:
            total, packages = installed_sizes(wheel, Path(tmp) / "venv")
            report["environment_mb"] = total
            report["packages_mb"] = dict(sorted(packages.items(), key=lambda kv: -kv[1]))
    write_results(args.out, "install_size", report, markdown(report))
    return report


def markdown(report):
    lines = [*summary_opening(report["machine"]), ""]
    lines.append(f"- The wheel, {report['wheel']}: {report['wheel_mb']:.2f} MB.")
    if "environment_mb" in report:
        total, packages = report["environment_mb"], report["packages_mb"]
        largest = list(packages.items())[:LARGEST]
        lines.append(
            f"- `pip install` of it into a new virtual environment: "
            f"{total / 1000:.1f} GB on disk, of which {largest[0][0]} "
            f"{largest[0][1] / 1000:.1f} GB."
        )
        lines += ["", *table(
            "package (folder) | MB | share of the environment",
            [[name, f"{mb:,.0f}", f"{mb / total:.0%}"] for name, mb in largest],
        )]
    return results_page("What the install weighs", lines)


if __name__ == "__main__":
    main()
