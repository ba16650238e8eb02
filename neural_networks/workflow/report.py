"""``report.html``: one self-contained page (plots inlined as base64 PNG, tables) for a run or a sweep."""
import base64
import html
import os

from . import files
from ..config import yamlio
from ..config.errors import ConfigError, DamagedFile
from .results import find_runs, is_run, read_run

# The page uses the window's width; a wide table scrolls inside its own box, its first column
# (the run) staying in view.
STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#222}
.table{overflow:auto;max-width:100%;max-height:36em;margin:1em 0;border:1px solid #ddd}
table{border-collapse:separate;border-spacing:0;font-size:.9em}
td,th{border-right:1px solid #ddd;border-bottom:1px solid #ddd;padding:.25em .6em;text-align:right;
white-space:nowrap;background:#fff}th{background:#f3f3f3;position:sticky;top:0;z-index:1}
td:first-child,th:first-child{position:sticky;left:0;text-align:left;z-index:2}th:first-child{z-index:3}
.plots{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}
img{max-width:100%;display:block}
pre{background:#f7f7f7;padding:1em;overflow:auto}"""

# the run folder's pictures shown, in this order, when present (the GIF plays in the page)
RUN_PLOTS = ("loss.png", "error.png", "confusion_matrix.png", "predictions.png", "decision_boundary.png",
             "decision_boundary.gif", "weights.png", "diagnostics.png", "architecture.png")


def image(data, kind="png"):
    """An <img> holding the image's bytes (PNG, or ``kind``: gif) inline, so the page needs no other file."""
    return f'<img alt="plot" src="data:image/{kind};base64,{base64.b64encode(data).decode("ascii")}">'


def figure_png(draw):
    """PNG bytes of the figure that ``draw(path)`` saves (drawn into a temporary file)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "figure.png")
        draw(path)
        with open(path, "rb") as f:
            return f.read()


def table(frame):
    """An HTML table that scrolls sideways when it is wider than the page."""
    text = frame.to_html(index=False, border=0, float_format=lambda v: f"{v:.4g}", na_rep="")
    return f'<div class="table">{text}</div>'


def run_section(run_dir):
    """A run's results, curves, confusion matrix, per-class scores and config."""
    import pandas as pd

    from .compare import compare

    config, summary, metrics = read_run(run_dir)
    test = summary.get("test", {})
    facts = {"status": summary.get("status"), "dataset": summary.get("dataset"),
             "parameters": summary.get("parameters"), "epochs run": len(metrics),
             "best epoch": summary.get("best_epoch"), "seconds": summary.get("seconds"),
             **{f"best {k}": v for k, v in (summary.get("best") or {}).items()},
             **{f"test {k}": v for k, v in test.items() if not isinstance(v, (dict, list))}}
    facts = pd.DataFrame({"result": list(facts), "value": list(facts.values())})
    parts = [f"<h2>{html.escape(run_dir)}</h2>", table(facts)]
    if summary.get("warnings"):
        items = "".join(f"<li>{html.escape(warning)}</li>" for warning in summary["warnings"])
        parts.append(f"<h3>Warnings</h3><ul>{items}</ul>")
    plots = [name for name in RUN_PLOTS if os.path.isfile(os.path.join(run_dir, name))]
    if plots:
        pictures = []
        for name in plots:
            with open(os.path.join(run_dir, name), "rb") as f:
                pictures.append(image(f.read(), os.path.splitext(name)[1][1:]))
        parts.append(f'<div class="plots">{"".join(pictures)}</div>')
    elif len(metrics):
        parts.append(image(figure_png(lambda path: compare([run_dir], path=path))))
    if test.get("per_class"):
        parts.append(table(pd.DataFrame(test["per_class"]).T.rename_axis("class").reset_index()))
    parts.append(f"<pre>{html.escape(yamlio.dump(config))}</pre>")
    return "\n".join(parts)


def sweep_section(sweep_dir):
    """A sweep's table (best first), its comparison plot and its best run."""
    import pandas as pd

    path = os.path.join(sweep_dir, "sweep.csv")
    try:
        frame = pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DamagedFile(path, str(error).splitlines()[0]) from None
    if "run" not in frame.columns:
        raise DamagedFile(path, "it has no column 'run'")
    parts = [f"<h2>{len(frame)} runs, best first</h2>", table(frame)]
    for name in ("compare.png", "parallel.png"):
        plot = os.path.join(sweep_dir, name)
        if os.path.isfile(plot):
            with open(plot, "rb") as f:
                parts.append(image(f.read()))
    parts.append(importance_table(sweep_dir))
    if len(frame):
        try:
            parts.append(run_section(os.path.join(sweep_dir, frame["run"].iloc[0])))
        except DamagedFile as error:
            parts.append(f"<p>The best run is not shown: {html.escape(str(error))}</p>")
    return "\n".join(parts)


def importance_table(sweep_dir):
    """Optuna's parameter importances of a tpe sweep as a table ('' for other sweeps)."""
    from .sweep import swept
    from .tuning import importances

    found = swept(sweep_dir)
    shares = importances(sweep_dir) if found and found[2] == "tpe" else {}
    if not shares:
        return ""
    import pandas as pd

    return "<h3>parameter importances (Optuna)</h3>" + table(
        pd.DataFrame({"key": list(shares), "importance": list(shares.values())}))


def report(path, output=None):
    """Write the report of a run folder or a sweep (or any folder of runs) and return its path."""
    if is_run(path):
        body = run_section(path)
    elif os.path.isfile(os.path.join(path, "sweep.csv")):
        body = sweep_section(path)
    elif os.path.isdir(path):
        from .compare import compare

        run_dirs = find_runs([path])
        frame = compare(run_dirs)
        body = table(frame) + image(figure_png(lambda p: compare(run_dirs, path=p)))
    else:
        raise ConfigError(f"{path!r} is neither a run folder nor a sweep folder")
    title = html.escape(f"nnrun report: {os.path.basename(os.path.normpath(path))}")
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{STYLE}</style></head>\n<body><h1>{title}</h1>\n{body}\n</body></html>\n")
    output = output or os.path.join(path, "report.html")
    files.write_text(output, page)
    return output
