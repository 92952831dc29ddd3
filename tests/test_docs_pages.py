"""The documentation's own machinery: quoted results, offline links, examples."""

import doctest
import re
import sys
from pathlib import Path

import docutils.core
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import skae_docs  # docs/_ext, put on the path just above


def _results_directives():
    return sorted(
        {
            reference
            for page in DOCS.rglob("*.rst")
            for reference in re.findall(
                r"^\.\. results:: (.+)$", page.read_text(), re.MULTILINE
            )
        }
    )


def _warnings(rst):
    """docutils' warnings and errors on ``rst``, as text."""
    doctree = docutils.core.publish_doctree(
        rst, settings_overrides={"report_level": 5, "halt_level": 5}
    )
    return [
        message.astext()
        for message in doctree.findall(docutils.nodes.system_message)
        if message["level"] >= 2
    ]


@pytest.mark.parametrize("reference", _results_directives())
def test_quoted_results_exist_and_render(reference):
    """A ``.. results::`` section is one a benchmark wrote, and reads as reST."""
    markdown = skae_docs.results_section(reference)
    if reference.endswith("#Summary"):
        assert markdown.startswith("Measured on "), reference
    rst = skae_docs.markdown_to_rst(markdown)
    assert not _warnings(rst), _warnings(rst)
    # every figure of the section reaches the page
    for number in re.findall(r"\d[\d,.]*", markdown):
        assert number in rst


def test_the_changelog_renders():
    rst = skae_docs.markdown_to_rst((ROOT / "CHANGELOG.md").read_text())
    assert not _warnings(rst), _warnings(rst)


def test_markdown_to_rst():
    rst = skae_docs.markdown_to_rst(
        "## Title\n\nA `z_dim` line, [a link](https://example.org).\n\n"
        "| a | b |\n| --- | --- |\n| 1 | `x` |\n\n"
        "- one\n  continued\n  - nested\n- two\n"
    )
    assert "Title\n-----" in rst
    assert "``z_dim``" in rst and "`a link <https://example.org>`__" in rst
    assert "   * - 1\n     - ``x``" in rst
    assert "- one\n  continued\n\n  - nested\n\n- two" in rst
    assert not _warnings(rst)


def test_inventories_link_scikit_learn_offline(tmp_path):
    from sphinx.util.inventory import InventoryFile

    mapping = skae_docs.write_inventories(tmp_path)
    url, path = mapping["sklearn"]
    with open(path, "rb") as stream:
        inventory = InventoryFile.load(stream, url, lambda base, uri: base + uri)
    data = getattr(inventory, "data", inventory)  # an Inventory from Sphinx 8.2 on
    entries = {
        role: {
            name: item[2] if isinstance(item, tuple) else item.uri
            for name, item in objects.items()
        }
        for role, objects in data.items()
    }
    pipeline = "sklearn.pipeline.Pipeline"
    assert entries["py:class"][pipeline] == (
        f"{url}modules/generated/{pipeline}.html#{pipeline}"
    )
    assert "sklearn.model_selection.cross_val_score" in entries["py:function"]
    assert "sklearn.model_selection.GridSearchCV.fit" in entries["py:method"]
    assert "df_output_transform" in entries["std:label"]


@pytest.mark.parametrize("page", sorted((DOCS / "api_examples").glob("*.rst")), ids=str)
def test_the_api_examples_run(page):
    """The examples of the methods each estimator inherits, shown on its page."""
    text = page.read_text()
    test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries > 5


def test_the_api_page_lists_every_public_method():
    from skae import AutoencoderTransformer

    public = {
        name
        for name in dir(AutoencoderTransformer)
        if not name.startswith("_") and callable(getattr(AutoencoderTransformer, name))
    }
    listed = set(
        re.findall(r"AutoencoderTransformer\.(\w+)", (DOCS / "api.rst").read_text())
    )
    assert public == listed


def test_the_documented_batch_size_rule():
    """README and training guide: "auto" batches are 128 from 10,000 rows
    left for training after the validation split on, 32 below."""
    import numpy as np

    from skae import AutoencoderTransformer
    from skae._plan import make_plan

    def batch(n_rows):
        ae = AutoencoderTransformer(z_dim=2, random_state=0)
        return make_plan(
            ae.get_params(), ae._validate(np.zeros((n_rows, 4)))
        ).batch_size

    assert batch(10_000) == 32  # 9,000 of them for training
    assert batch(11_112) == 128  # 10,000 for training (1,112 held out)
