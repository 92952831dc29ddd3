"""Sphinx configuration for the skae documentation."""

import os
from pathlib import Path

import joblib

import skae

EXAMPLES = Path(__file__).parent.parent / "examples"

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
]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

intersphinx_mapping = {}  # no network at build time: cross-links stay local

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
templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
nitpicky = False
