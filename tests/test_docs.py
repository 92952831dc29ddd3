"""Every figure in the README and the docs comes from a benchmark's results file."""

import json
import re
from pathlib import Path

import pytest
import readme

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

# Numbers the prose may state without a results file: facts of the data,
# of the tutorial and of the hardware, settings a reader types or a
# benchmark uses, versions, and published figures.
FACTS = {
    "28", "784", "78.4", "3e-4", "2e-3", "0.5", "4,000", "10,000", "60,000",
    "2,000", "128", "32", "64", "10", "1", "30", "70", "3.00", "13.87",
    "2.13.0", "1.6", "8.0",
}


@pytest.mark.parametrize("page", readme.PAGES)
def test_pages_quote_the_results_files_word_for_word(page):
    text = (ROOT / page).read_text()
    assert readme.blocks(text), f"{page} quotes no results"
    for source, section in readme.blocks(text):
        assert (ROOT / source).exists(), source
    assert text == readme.render(text), (
        f"{page} differs from the results it quotes: run "
        "python benchmarks/readme.py after the benchmarks"
    )


def _prose(text):
    """``text`` without results blocks, code blocks and inline code."""
    text = readme.BLOCK.sub("", text)
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    text = re.sub(r"^(    |\t).*$", "", text, flags=re.MULTILINE)  # rst code blocks
    return re.sub(r"``?[^`]*``?", "", text)


@pytest.mark.parametrize(
    "page",
    [
        *(ROOT / page for page in readme.PAGES),
        *sorted((ROOT / "docs" / "user_guide").glob("*.rst")),
    ],
    ids=lambda p: p.name,
)
def test_prose_states_no_measured_number(page):
    """Decimal figures, percentages and timings live in results blocks or tables."""
    numbers = re.findall(
        r"(?<![\w.-])(\d[\d,]*\.\d+|\d[\d,]*(?=\s?(?:%|x\b| s\b| min\b| seconds| minutes)))",
        _prose(page.read_text()),
    )
    unexplained = sorted(set(numbers) - FACTS)
    assert not unexplained, f"{page.name} states {unexplained} outside results"


def test_docs_tables_come_from_results_files():
    for page in (ROOT / "docs").rglob("*.rst"):
        for path in re.findall(r":file: (\S+)", page.read_text()):
            assert (page.parent / path).resolve().is_file(), (page.name, path)


def test_every_results_file_names_its_machine_and_commit():
    files = sorted(RESULTS.glob("*.json"))
    quoted = {
        Path(source).stem
        for page in readme.PAGES
        for source, _ in readme.blocks((ROOT / page).read_text())
    }
    assert quoted <= {path.stem for path in files}, "a quoted result has no JSON"
    for path in files:
        machine = json.loads(path.read_text())["machine"]
        assert machine["cpu"] and machine["cores"] and machine["commit"], path.name
    for path in RESULTS.glob("*.md"):
        assert "Measured on " in path.read_text(), path.name
