"""Every figure in the README and the docs comes from a benchmark's results file."""

import json
import re
from pathlib import Path

import pytest
import readme

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

# The numbers the prose may state without a results file, each with its
# reason: settings a reader types, facts of the data and of the hardware,
# versions. A measured figure never belongs here: it lives in a results
# block, which readme.py fills from a benchmark's results file.
FACTS = {
    "1": "the low-rank Gaussian's noise: 1% of its variance (why.rst)",
    "10": "validation_fraction's default: 10% of X held out (training.rst)",
    "30": "small_data.py's test split: 30% (why.rst)",
    "70": "small_data.py's training split: 70% (why.rst)",
    "1.6": "scikit-learn 1.6, whose estimator tags scikeras loses (README)",
    "8.0": "CUDA compute capability 8.0, from which GPUs compute bfloat16",
    "0.1": "skae 0.1.0, the release whose stopping rules are compared (training.rst)",
    "5": "a significance level and a contamination share a reader types "
    "(choosing_z_dim.rst, outliers.rst)",
    "1.5": "Tukey's fence, 1.5 interquartile ranges: the rule's constant (outliers.rst)",
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


def _pages():
    return [
        *(ROOT / page for page in readme.PAGES),
        *sorted((ROOT / "docs" / "user_guide").glob("*.rst")),
    ]


def _numbers(page):
    """The decimal figures, percentages and timings in ``page``'s prose."""
    return re.findall(
        r"(?<![\w.-])(\d[\d,]*\.\d+|\d[\d,]*(?=\s?(?:%|x\b| s\b| min\b| seconds| minutes)))",
        _prose(page.read_text()),
    )


def _prose(text):
    """``text`` without results blocks, code blocks and inline code."""
    text = readme.BLOCK.sub("", text)
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    text = re.sub(r"^(    |\t).*$", "", text, flags=re.MULTILINE)  # rst code blocks
    return re.sub(r"``?[^`]*``?", "", text)


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.name)
def test_prose_states_no_measured_number(page):
    """Decimal figures, percentages and timings live in results blocks or tables."""
    unexplained = sorted(set(_numbers(page)) - set(FACTS))
    assert not unexplained, f"{page.name} states {unexplained} outside results"


def test_every_fact_is_stated_in_the_prose():
    """FACTS lists only numbers the prose states: none waits there unused to
    excuse a measured figure later."""
    stated = {number for page in _pages() for number in _numbers(page)}
    assert set(FACTS) <= stated, sorted(set(FACTS) - stated)


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
