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
# a cell wraps after a comma, slash or space if it can, else after _ . = ( or -
BREAKS = (re.compile(r"(?<=[,/\s])"), re.compile(r"(?<=[_.=(-])"))
WORDS = re.compile(r"(?<=[,/\s_.=(-])")


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


def wrap(text, width, breaks=BREAKS):
    """``text`` as lines of at most ``width`` characters, broken after ``, /`` or spaces when possible,
    then after ``_ . = ( -``, else cut."""
    lines, line = [], ""
    for piece in breaks[0].split(text) if breaks else [text]:
        if len(piece) > width:  # a piece longer than the column: break it more finely
            if line:
                lines.append(line.rstrip())
                line = ""
            *whole, piece = wrap(piece, width, breaks[1:]) if breaks else \
                [piece[i:i + width] for i in range(0, len(piece), width)]
            lines.extend(whole)
        if len(line) + len(piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
    return [*lines, line.rstrip()] if line.strip() or not lines else lines


def floor_width(header, texts, numeric):
    """The narrowest a column may get: its widest number, or MIN_TEXT for text, and no narrower than
    its header's longest word (headers wrap between words: ``best_`` over ``val_loss``)."""
    widest = max([len(t) for t in texts] + [1])
    word = max(len(piece) for piece in WORDS.split(header))
    return max(widest if numeric else min(widest, MIN_TEXT), min(word, len(header)))


def fit_widths(natural, cells, floors, width, wrap_cells=True):
    """Narrow columns until the row (with gaps) fits ``width``: first wrap headers down to their
    cells' width, then (``wrap_cells``) narrow the widest text columns down to their floors;
    None if that is not enough."""
    widths = list(natural)
    excess = sum(widths) + len(GAP) * (len(widths) - 1) - width
    for limits in (cells, floors) if wrap_cells else (cells,):
        while excess > 0:
            shrinkable = [j for j, w in enumerate(widths) if w > max(limits[j], floors[j])]
            if not shrinkable:
                break
            j = max(shrinkable, key=lambda j: widths[j])
            widths[j] -= 1
            excess -= 1
    return widths if excess <= 0 else None


def format_table(header, rows, width=None, optional=()):
    """Lines of a table under a header and a rule, every line at most ``width`` (default: the terminal's)
    characters. Number columns are right-aligned. Columns named in ``optional`` are the first left out
    when even narrowed columns do not fit (then the rightmost ones), in that order."""
    width = terminal_width(width)
    header = [str(h) for h in header]
    texts = [[cell_text(v) for v in row] for row in rows]
    numeric = [bool(rows) and all(is_number(row[j]) for row in rows) for j in range(len(header))]
    columns = list(range(len(header)))
    optional = [header.index(c) for c in optional if c in header]
    drop_order = optional + [j for j in reversed(columns[1:]) if j not in optional]
    left_out = []
    while True:
        cells = [max([1] + [len(t[j]) for t in texts]) for j in columns]
        natural = [max(len(header[j]), n) for j, n in zip(columns, cells)]
        floors = [floor_width(header[j], [t[j] for t in texts], numeric[j]) for j in columns]
        # text cells wrap only once no optional column is left to leave out
        widths = fit_widths(natural, cells, floors, width, wrap_cells=not optional)
        if widths is not None or len(columns) == 1:
            break
        dropped = drop_order.pop(0)
        optional = [j for j in optional if j != dropped]
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
