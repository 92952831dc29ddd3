"""The pieces of a results file's markdown: the page, its Summary, its tables."""


def results_page(title, *blocks):
    """A results file's markdown: ``# title``, then each block of lines after a
    blank line."""
    lines = [f"# {title}"]
    for block in blocks:
        lines += ["", *block]
    return "\n".join(lines) + "\n"


def summary_opening(machine, details=""):
    """The first lines of a results file's Summary: the machine it was measured on.

    ``details`` follow the machine's description in the same sentence.
    """
    return ["## Summary", "", f"Measured on {describe(machine)}{details}."]


def describe(machine):
    """One line naming the machine and the code a result was measured with."""
    bfloat16 = " with native bfloat16" if machine.get("cpu_bfloat16") else ""
    return (
        f"{machine['cpu']}{bfloat16}, {machine['cores']} cores; "
        f"Python {machine['python']}, "
        f"Keras {machine['keras']} on {machine['backend']} "
        f"{machine['backend_version']}; commit {machine['commit']}, {machine['date']}"
    )


def table(header, rows):
    """The lines of a markdown table: ``header``, its cells parted by " | ", then
    a line for each row of cells."""
    columns = header.split(" | ")
    return [_table_row(columns), _table_row(["---"] * len(columns))] + [
        _table_row(row) for row in rows
    ]


def _table_row(cells):
    return "|" + "".join(f" {cell} |" if cell != "" else " |" for cell in cells)
