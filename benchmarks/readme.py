"""Copy the results the README and CONTRIBUTING quote from the benchmarks' files.

    python benchmarks/readme.py

A block in README.md or CONTRIBUTING.md::

    <!-- results: benchmarks/results/performance.md#Summary -->
    ...
    <!-- end results -->

holds the lines of that section of that results file (from its ``##``
heading to the next). This script rewrites every block from its source;
``tests/test_docs.py`` checks that each page already equals the rewrite,
so a figure there is always one a benchmark measured.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The pages whose results blocks this script refills.
PAGES = ("README.md", "CONTRIBUTING.md")
BLOCK = re.compile(
    r"(<!-- results: (?P<source>\S+?)#(?P<section>[^>]+?) -->\n)(?P<body>.*?)"
    r"(<!-- end results -->)",
    re.DOTALL,
)


def section(source, heading):
    """The lines under ``## heading`` in the markdown file ``source``."""
    lines = (ROOT / source).read_text().splitlines()
    start = lines.index(f"## {heading}") + 1
    end = next(
        (i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines)
    )
    return "\n".join(lines[start:end]).strip() + "\n"


def render(text):
    """``text`` with every results block refilled from its source."""

    def refill(match):
        body = section(match["source"], match["section"])
        return f"{match[1]}{body}{match[5]}"

    return BLOCK.sub(refill, text)


def blocks(text):
    """The (source, section) of every results block in ``text``."""
    return [(m["source"], m["section"]) for m in BLOCK.finditer(text)]


def main():
    for page in PAGES:
        path = ROOT / page
        path.write_text(render(path.read_text()))


if __name__ == "__main__":
    main()
