"""The examples read as a gallery; the notebook runs headless and is committed run.

The gallery scripts themselves run once per CI, in the documentation build
(sphinx-gallery executes each with SKAE_QUICK=1 and fails on an error).
"""

import json
from pathlib import Path

import ipywidgets  # noqa: F401 (the notebook needs it: missing, the module fails)
import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
NOTEBOOK = ROOT / "examples" / "latent_explorer.ipynb"


@pytest.mark.parametrize(
    "script", EXAMPLES + [ROOT / "examples" / "README.txt"], ids=lambda p: p.name
)
def test_example_opens_with_a_rest_title(script):
    lines = script.read_text().splitlines()
    if script.suffix == ".py":
        assert lines[0] == '"""'
        lines = lines[1:]
    rule, title, underline = lines[0], lines[1], lines[2]
    if script.suffix == ".txt":
        rule, title, underline = "=" * len(lines[0]), lines[0], lines[1]
    assert set(rule) == {"="} and len(rule) == len(title) == len(underline)


def _cell(notebook, cell_id):
    return next(c for c in notebook["cells"] if c.get("id") == cell_id)


def _outputs(notebook, cell_id):
    return _cell(notebook, cell_id)["outputs"]


def _mime_types(outputs):
    return {key for output in outputs for key in output.get("data", {})}


def test_the_committed_notebook_shows_its_outputs():
    """On a code host the notebook reads without running: outputs are saved."""
    notebook = json.loads(NOTEBOOK.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] and cell["execution_count"], cell["id"]
    assert "image/png" in _mime_types(_outputs(notebook, "grid"))
    # the explorer: a live widget, and a PNG for viewers without widgets
    assert {"image/png", "application/vnd.jupyter.widget-view+json"} <= _mime_types(
        _outputs(notebook, "sliders")
    )
    printed = "".join(_outputs(notebook, "fit")[0]["text"])
    assert "epochs, kept epoch" in printed


def test_the_notebook_runs_headless(mnist_home, tmp_path, monkeypatch):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # That it runs is tested here, not how well it trains: a thousand images
    # for one epoch, instead of the quick run's 10,000 for five.
    fit = _cell(notebook, "fit")
    assert "(10_000, 5)" in fit.source
    fit.source = fit.source.replace("(10_000, 5)", "(1_000, 1)")
    data_home = tmp_path / "data"
    data_home.mkdir()
    (data_home / "mnist").symlink_to(mnist_home)
    # The kernel inherits this environment: quick, offline, and drawing
    # figures inline as Jupyter does.
    monkeypatch.setenv("SKAE_QUICK", "1")
    monkeypatch.setenv("SKAE_DATA_HOME", str(data_home))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
    assert "image/png" in _mime_types(_outputs(notebook, "grid"))
    assert {"image/png", "application/vnd.jupyter.widget-view+json"} <= _mime_types(
        _outputs(notebook, "sliders")
    )
