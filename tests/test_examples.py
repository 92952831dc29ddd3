"""Every example runs, quickly: SKAE_QUICK=1 and a headless backend."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
MNIST = ROOT.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="module")
def example_env(tmp_path_factory):
    if not MNIST.is_dir():
        pytest.skip("real MNIST not found beside the checkout")
    data_home = tmp_path_factory.mktemp("data_home")
    (data_home / "mnist").symlink_to(MNIST)  # never the network
    return {
        **os.environ,
        "SKAE_QUICK": "1",
        "SKAE_DATA_HOME": str(data_home),
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, example_env, tmp_path):
    result = subprocess.run(
        [sys.executable, str(script)],
        check=False,  # the assertion shows the script's stderr instead
        cwd=tmp_path,
        env=example_env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]


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


def test_latent_explorer_notebook_runs(example_env, monkeypatch):
    pytest.importorskip("ipywidgets")
    for key in ("SKAE_QUICK", "SKAE_DATA_HOME"):
        monkeypatch.setenv(key, example_env[key])
    notebook = json.loads((ROOT / "examples" / "latent_explorer.ipynb").read_text())
    namespace = {}
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            exec("".join(cell["source"]), namespace)  # noqa: S102 (our own notebook)
    explorer = namespace["explorer"]
    before = bytes(explorer.image.value)
    explorer.sliders[0].value = explorer.sliders[0].max
    assert bytes(explorer.image.value) != before
