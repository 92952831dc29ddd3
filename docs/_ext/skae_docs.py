"""Sphinx helpers of skae's documentation, which builds offline.

- :func:`write_inventories` writes intersphinx inventories (``objects.inv``)
  for scikit-learn, from the installed package's public names, and for the
  few Python, matplotlib and Keras objects the docs name, so that
  ``:class:`~sklearn.pipeline.Pipeline``` links to scikit-learn's page
  without reading anything from the network at build time.
- The ``results`` directive quotes one section of a benchmark's results
  file (``.. results:: benchmarks/results/performance.md#Summary``), as the
  README's results blocks do: every measured figure on a page comes from a
  file that a script in ``benchmarks/`` wrote.
- The ``markdown`` directive renders a markdown page of the repository
  (``.. markdown:: CHANGELOG.md``), so that it is written once.
"""

import importlib
import inspect
import re
import zlib
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

ROOT = Path(__file__).resolve().parents[2]

SKLEARN = "https://scikit-learn.org/stable/"
# Labels of scikit-learn's user guide that its docstrings (inherited by
# skae's estimator: set_output, get_metadata_routing) refer to.
SKLEARN_LABELS = {
    "df_output_transform": "modules/df_output_transform.html#df-output-transform",
    "metadata_routing": "metadata_routing.html#metadata-routing",
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py": (
        "auto_examples/miscellaneous/plot_set_output.html"
        "#sphx-glr-auto-examples-miscellaneous-plot-set-output-py"
    ),
}
# Objects of other projects that the docs name, with their pages.
OTHERS = {
    "python": (
        "https://docs.python.org/3/",
        [
            ("pickle", "py:module", "library/pickle.html#module-pickle"),
            ("random", "py:module", "library/random.html#module-random"),
            (
                "functools.partial",
                "py:function",
                "library/functools.html#functools.partial",
            ),
            (
                "functools.partial",
                "py:class",
                "library/functools.html#functools.partial",
            ),
            ("pathlib.Path", "py:class", "library/pathlib.html#pathlib.Path"),
        ],
    ),
    "matplotlib": (
        "https://matplotlib.org/stable/",
        [
            (
                "matplotlib.figure.Figure",
                "py:class",
                "api/_as_gen/matplotlib.figure.Figure.html#matplotlib.figure.Figure",
            ),
        ],
    ),
    "keras": (
        "https://keras.io/",
        [("keras.Model", "py:class", "api/models/model/")],
    ),
}


def sklearn_objects():
    """(name, role, uri) of scikit-learn's public modules, classes, functions
    and methods, from the installed package."""
    import sklearn
    from sklearn.experimental import (  # noqa: F401 (the experimental names, listed too)
        enable_halving_search_cv,
        enable_iterative_imputer,
    )

    entries = []
    for module_name in sorted(getattr(sklearn, "__all__", [])):
        full = f"sklearn.{module_name}"
        try:
            module = importlib.import_module(full)
        except ImportError:
            continue
        if not inspect.ismodule(module):
            continue
        entries.append((full, "py:module", f"api/{full}.html"))
        for name in getattr(module, "__all__", []):
            try:
                obj = getattr(module, name)
            except (AttributeError, ImportError):
                continue
            if inspect.ismodule(obj):
                continue
            qualified = f"{full}.{name}"
            page = f"modules/generated/{qualified}.html"
            if inspect.isclass(obj):
                entries.append((qualified, "py:class", f"{page}#$"))
                entries += [
                    (f"{qualified}.{member}", "py:method", f"{page}#$")
                    for member in dir(obj)  # inherited ones too, as its page
                    if not member.startswith("_")
                    and callable(inspect.getattr_static(obj, member, None))
                ]
            elif callable(obj):
                entries.append((qualified, "py:function", f"{page}#$"))
    entries += [(label, "std:label", uri) for label, uri in SKLEARN_LABELS.items()]
    return entries


def _write_inventory(path, project, entries):
    """An objects.inv (version 2) of ``entries``: (name, role, uri) triples."""
    lines = "".join(f"{name} {role} -1 {uri} -\n" for name, role, uri in entries)
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        "# Version: \n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.encode() + zlib.compress(lines.encode()))


def write_inventories(folder):
    """Write the inventories into ``folder``; the ``intersphinx_mapping``
    that reads them."""
    folder = Path(folder)
    mapping = {}
    projects = {"sklearn": (SKLEARN, sklearn_objects()), **OTHERS}
    for project, (url, entries) in projects.items():
        path = folder / f"{project}.inv"
        _write_inventory(path, project, entries)
        mapping[project] = (url, str(path))
    return mapping


# -- results sections -----------------------------------------------------------


def results_section(reference):
    """The lines of ``path#heading`` in a results file, as the README quotes
    them (``benchmarks/readme.py``)."""
    source, heading = reference.split("#", 1)
    lines = (ROOT / source).read_text().splitlines()
    start = lines.index(f"## {heading}") + 1
    end = next(
        (i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines)
    )
    return "\n".join(lines[start:end]).strip()


def _inline(text):
    """Markdown's inline code and links as reST's, other characters reST
    reads as markup escaped."""
    parts = re.split(r"(`[^`]+`|\[[^\]]+\]\([^)]+\))", text)
    out = []
    for part in parts:
        link = re.fullmatch(r"\[([^\]]+)\]\(([^)]+)\)", part)
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"``{part[1:-1]}``")
        elif link:
            out.append(f"`{link[1]} <{link[2]}>`__")
        else:
            out.append(re.sub(r"([*_|\\])", r"\\\1", part))
    return "".join(out)


def _cells(row):
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def markdown_to_rst(markdown):
    """reST for markdown as the repository writes it: headings, paragraphs,
    pipe tables, bullet lists (nested by two spaces, items continued on
    indented lines), inline code and links."""
    out = []
    item = None  # the depth of the list item being written, if any
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = re.match(r"^(#{1,3}) (.*)$", line)
        bullet = re.match(r"^( *)- (.*)$", line)
        if line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            header = rows[0]
            body = [row for row in rows[1:] if set("".join(row)) - set("-: ")]
            out += ["", ".. list-table::", "   :header-rows: 1", ""]
            for row in [header, *body]:
                out.append(f"   * - {_inline(row[0])}")
                out += [f"     - {_inline(cell)}" for cell in row[1:]]
            out.append("")
            item = None
            continue
        if heading:
            title = _inline(heading[2])
            out += ["", title, "=-~"[len(heading[1]) - 1] * len(title), ""]
            item = None
        elif bullet:
            depth = len(bullet[1]) // 2
            if item != depth:
                out.append("")  # a list, or a level of one, starts or ends
            out.append("  " * depth + "- " + _inline(bullet[2]))
            item = depth
        elif line.startswith("  ") and item is not None:
            out.append("  " * (item + 1) + _inline(line.strip()))
        elif line.strip():
            if item is not None:
                out.append("")
            out.append(_inline(line))
            item = None
        else:
            out.append("")
            item = None if item is None else item
        i += 1
    return "\n".join(out).strip() + "\n"


class ResultsDirective(SphinxDirective):
    """``.. results:: benchmarks/results/NAME.md#Section``: that section of a
    results file, quoted word for word, with a line naming its source."""

    required_arguments = 1
    final_argument_whitespace = True  # headings hold spaces

    def run(self):
        reference = self.arguments[0]
        source = reference.split("#", 1)[0]
        self.env.note_dependency(str(ROOT / source))
        text = markdown_to_rst(results_section(reference))
        text += f"\n*From* ``{source}``.\n"
        container = nodes.container(classes=["skae-results"])
        self.state.nested_parse(
            StringList(text.splitlines(), source=str(ROOT / source)),
            self.content_offset,
            container,
        )
        return [container]


class MarkdownDirective(SphinxDirective):
    """``.. markdown:: CHANGELOG.md``: a markdown page of the repository
    (headings, paragraphs, lists, tables, inline code, links) as reST."""

    required_arguments = 1

    def run(self):
        path = ROOT / self.arguments[0]
        self.env.note_dependency(str(path))
        text = markdown_to_rst(path.read_text())
        container = nodes.container()
        nested_parse_with_titles(
            self.state, StringList(text.splitlines(), source=str(path)), container
        )
        return container.children


def setup(app):
    app.add_directive("results", ResultsDirective)
    app.add_directive("markdown", MarkdownDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
