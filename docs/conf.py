"""Sphinx configuration for the skae documentation."""

import importlib.metadata
import os
import sys
from pathlib import Path

import joblib

import skae

DOCS = Path(__file__).parent
ROOT = DOCS.parent
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(DOCS / "_ext"))

import skae_docs  # found on the path set just above

# The gallery trains every example's models on 10,000 MNIST images for a
# few epochs (SKAE_QUICK=1), so the whole build takes minutes; unset it to
# render the full-size results.
os.environ.setdefault("SKAE_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

project = "skae"
author = "the skae developers"
copyright = "2026, the skae developers"
release = version = skae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "skae_docs",
]

autosummary_generate = True
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# No network at build time: the inventories are written here, from the
# installed scikit-learn (and a few names of Python, matplotlib and Keras),
# and the links point to those projects' pages.
intersphinx_mapping = skae_docs.write_inventories(DOCS / "_build" / "inventories")

# Where the project lives and what it needs, from the installed package's
# metadata (pyproject.toml's, as the docs command installs it first).
_metadata = importlib.metadata.metadata("skae")
_urls = dict(entry.split(", ", 1) for entry in _metadata.get_all("Project-URL") or [])
repository = _urls.get("Repository") or _urls.get("Source") or _urls.get("Homepage")
_repository_text = (
    f"`skae's repository <{repository}>`__"
    if repository
    else "The repository this documentation is built from"
)
rst_prolog = f"""
.. |requires-python| replace:: ``Python {_metadata["Requires-Python"]}``
.. |repository| replace:: {_repository_text}
"""

sphinx_gallery_conf = {
    "examples_dirs": str(EXAMPLES),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    # The plotting functions return their Figure: show the figure, not its repr.
    "capture_repr": (),
    # Examples train side by side, one per core: loky sets OMP_NUM_THREADS
    # in its workers to their share of the cores, and skae passes it on to
    # the backend.
    "parallel": min(joblib.cpu_count(), len(list(EXAMPLES.glob("plot_*.py")))),
}

html_theme = "pydata_sphinx_theme"
html_title = "skae"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
if repository:
    html_theme_options["github_url"] = repository
templates_path = ["_templates"]
# api_examples/ holds pages that the API templates include, not pages of their own.
exclude_patterns = [
    "_build",
    "api_examples",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
]
nitpicky = False
