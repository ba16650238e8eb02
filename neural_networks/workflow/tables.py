"""Text tables that fit the terminal: one formatter for every table nnrun prints.

A table never breaks a row: when the columns are too wide for the terminal, headers wrap at their
``_`` and ``.`` (``best_val_loss`` over two lines), long text cells wrap inside their column
(the row grows a line, its other cells stay put), and only as a last resort whole columns are left
out, the table's last line naming them. Numbers are never cut.
"""
import math
import numbers
import re
import shutil
import textwrap

GAP = "  "
MIN_TEXT = 8       # a text column is narrowed to no less than this (or its widest cell, if shorter)
BREAKS = re.compile(r"(?<=[_.,/=\s(-])")  # a cell may wrap after these characters


def terminal_width(width=None):
    """``width``, else the terminal's width (``COLUMNS`` when set; 80 when output is not a terminal)."""
    return width or shutil.get_terminal_size((80, 24)).columns


def cell_text(value):
    """A cell's text: integers with thousands separators, floats to 4 significant digits, None/NaN as -."""
    if value is None or (isinstance(value, numbers.Real) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return f"{float(value):.4g}"
    return str(value)


def is_number(value):
    """Numbers (and missing values) are right-aligned and never cut."""
    return value is None or (isinstance(value, numbers.Real) and not isinstance(value, bool))


def wrap(text, width):
    """``text`` as lines of at most ``width`` characters, broken after ``_ . , / = ( -`` or spaces when
    possible, else cut."""
    lines, line = [], ""
    for piece in BREAKS.split(text):
        while len(piece) > width:  # a piece longer than the column: cut it
            if line:
                lines.append(line)
                line = ""
            lines.append(piece[:width])
            piece = piece[width:]
        if len(line) + len(piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
    return [*lines, line.rstrip()] if line.strip() or not lines else lines


def floor_width(header, texts, numeric):
    """The narrowest a column may get: its widest number, or MIN_TEXT for text (headers wrap)."""
    widest = max([len(t) for t in texts] + [1])
    if numeric:
        return max(widest, min(len(header), MIN_TEXT), max(len(w) for w in wrap(header, widest)))
    return min(max(widest, len(header)), MIN_TEXT)


def fit_widths(natural, floors, width):
    """Narrow the widest columns first, down to their floors, until the row (with gaps) fits ``width``."""
    widths = list(natural)
    excess = sum(widths) + len(GAP) * (len(widths) - 1) - width
    while excess > 0:
        shrinkable = [j for j, w in enumerate(widths) if w > floors[j]]
        if not shrinkable:
            return None
        j = max(shrinkable, key=lambda j: widths[j])
        widths[j] -= 1
        excess -= 1
    return widths


def format_table(header, rows, width=None, optional=()):
    """Lines of a table under a header and a rule, every line at most ``width`` (default: the terminal's)
    characters. Number columns are right-aligned. Columns named in ``optional`` are the first left out
    when even narrowed columns do not fit (then the rightmost ones), in that order."""
    width = terminal_width(width)
    header = [str(h) for h in header]
    texts = [[cell_text(v) for v in row] for row in rows]
    numeric = [bool(rows) and all(is_number(row[j]) for row in rows) for j in range(len(header))]
    columns = list(range(len(header)))
    drop_order = [header.index(c) for c in optional if c in header]
    drop_order += [j for j in reversed(columns[1:]) if j not in drop_order]
    left_out = []
    while True:
        natural = [max([len(header[j])] + [len(t[j]) for t in texts]) for j in columns]
        floors = [floor_width(header[j], [t[j] for t in texts], numeric[j]) for j in columns]
        widths = fit_widths(natural, floors, width - (len(GAP) if left_out else 0))
        if widths is not None or len(columns) == 1:
            break
        dropped = drop_order.pop(0)
        columns.remove(dropped)
        left_out.append(header[dropped])
    widths = widths or [width]

    def lines_of(cells, head=False):
        wrapped = [wrap(cells[j], w) for j, w in zip(columns, widths)]
        height = max(len(w) for w in wrapped)
        if head:  # a header's wrapped words sit at the bottom, above the rule
            wrapped = [[""] * (height - len(w)) + w for w in wrapped]
        out = []
        for i in range(height):
            parts = [(w[i] if i < len(w) else "").rjust(n) if numeric[j] else (w[i] if i < len(w) else "").ljust(n)
                     for j, w, n in zip(columns, wrapped, widths)]
            out.append(GAP.join(parts).rstrip())
        return out

    body = [line for cells in texts for line in lines_of(cells)]
    top = lines_of(header, head=True)
    rule = "-" * min(width, max(len(line) for line in top + body))
    table = [*top, rule, *body, rule]
    if left_out:
        table.extend(textwrap.wrap(f"not shown (a wider terminal shows them): {', '.join(left_out)}", width))
    return table


def format_frame(frame, width=None, optional=()):
    """A pandas table as :func:`format_table` text."""
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    return "\n".join(format_table(list(frame.columns), rows, width, optional))


def wrap_text(text, width=None, indent="  "):
    """A prose line wrapped to the terminal, its continuation lines indented."""
    return "\n".join(textwrap.wrap(text, terminal_width(width), subsequent_indent=indent,
                                   break_on_hyphens=False)) or text
