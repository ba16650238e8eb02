"""The ``nnrun`` command line: thin click commands over the ``neural_networks`` library.

Config and input errors print one line and exit 2; a failed run (e.g. a diverged loss) exits 1.
The library is imported inside each command so that ``nnrun --help`` starts fast.
"""
import json
import os
import sys

import click

from neural_networks.config.errors import ConfigError, TrainingError
from neural_networks.metrics import METRICS


class OneLineErrors:
    """Turns nnrun's errors into one line on stderr and an exit code (mixed into click's classes)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(2)
        except TrainingError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)
        except click.UsageError as error:
            usage_error(error)
        except KeyboardInterrupt as error:
            click.echo(f"Interrupted: {error}" if str(error) else "Interrupted.", err=True)
            sys.exit(130)
        except (OSError, MemoryError) as error:  # the system's limits: a failure while running, one line
            from neural_networks.workflow.experiment import system_failure

            click.echo(f"Error: {system_failure(error)}", err=True)
            sys.exit(1)


def usage_error(error):
    """click's own four-line usage error, as one line; exit 2."""
    where = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
    click.echo(f"Error: {error.format_message()}{where}", err=True)
    sys.exit(2)


class Group(OneLineErrors, click.Group):
    """The ``nnrun`` group: its commands' errors are one line."""


class Command(OneLineErrors, click.Command):
    """A command run on its own (``python train_ffnn.py``), its usage errors one line too."""

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as error:
            usage_error(error)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nnrun", prog_name="nnrun")
def main():
    """Train neural networks written in plain NumPy from one YAML file.

    \b
    Example:
      nnrun train configs/iris.yaml
      nnrun train configs/iris.yaml --set optimizer.lr=0.1 --quiet
    """


SET_HELP = "Override a config key by its dotted path, e.g. optimizer.lr=0.1 or model.layers.0.n_out=32 (repeatable)."


def set_option(help=SET_HELP):
    """The ``--set KEY=VALUE`` option, shared by every command that reads a config."""
    return click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=help)


def with_options(*options):
    """Apply click options in the order they are listed (so that --help lists them in that order)."""
    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


# The options that mean the same in every command that trains (train, train_ffnn.py, sweep).
run_options = with_options(
    click.option("--seed", type=int, help="Random seed (sets the config's seed)."),
    click.option("--epochs", type=int, help="Number of epochs (sets train.epochs)."),
    click.option("--save-dir", help="Folder that holds the run folders (sets log.save_dir; default: experiments)."),
    click.option("--quiet", "-q", is_flag=True, help="No progress or tables; print only the resulting folder."))

NAME_HELP = ("Run folder name (default: the config's name); {dotted.key} takes a value from the config, "
             "e.g. 'iris-lr{optimizer.lr}'.")

# The options shared by ``nnrun train`` and ``python train_ffnn.py``.
train_options = with_options(
    click.argument("config", type=click.Path(), required=False),
    set_option(),
    click.option("--name", help=NAME_HELP),
    run_options,
    click.option("--resume", metavar="RUN", type=click.Path(file_okay=False),
                 help="Continue the interrupted run folder RUN from its last checkpoint (no CONFIG)."))


def option_overrides(seed=None, epochs=None, save_dir=None, name=None):
    """The ``--set`` texts that the shared options stand for (the name quoted: a template's braces
    are not YAML)."""
    return [f"{key}={value}" for key, value in
            (("name", None if name is None else json.dumps(name)), ("seed", seed), ("train.epochs", epochs),
             ("log.save_dir", save_dir)) if value is not None]


def train_run(config, overrides, name, seed, epochs, save_dir, quiet, resume=None):
    """Load, override and train (or resume); print a short result and the run folder as the last line."""
    from neural_networks.config.schema import load_config
    from neural_networks.workflow.experiment import resume as resume_run, run

    overrides = list(overrides) + option_overrides(seed, epochs, save_dir, name)
    progress = not quiet and sys.stderr.isatty()
    if resume:
        if config or overrides:
            raise click.UsageError("--resume continues RUN with its own saved config: give no CONFIG or options")
        run_dir, summary = resume_run(resume, progress=progress)
    elif not config:
        raise click.UsageError("missing CONFIG (or --resume RUN)")
    else:
        run_dir, summary = run(load_config(config, overrides), overrides, progress=progress,
                               describe=None if quiet else click.echo)
    if not quiet:
        from neural_networks.workflow.scores import result_line

        for warning in summary.get("warnings", []):
            click.echo(f"warning: {warning}")
        click.echo(result_line(summary))
    click.echo(run_dir)


@main.command()
@train_options
def train(**options):
    """Train the network a YAML config describes and write a run folder.

    \b
    Example:
      nnrun train configs/iris.yaml --set optimizer.lr=0.1 --set model.layers.0.n_out=32
      nnrun train --resume experiments/iris      # after Ctrl-C or a crash
    """
    train_run(**options)


@main.command()
@click.argument("run", type=click.Path())
@click.option("--errors", type=click.Path(), metavar="FILE.png",
              help="Draw the test images the model gets wrong, with true and predicted labels.")
def evaluate(run, errors):
    """Evaluate a finished run's best parameters on its test split.

    \b
    Example:
      nnrun evaluate experiments/iris
      nnrun evaluate experiments/digits_cnn --errors mistakes.png
    """
    from neural_networks.workflow.loading import load_run
    from neural_networks.workflow.scores import score_text, split_scores

    config, data, model = load_run(run)
    warn_if_diverged(run)
    if errors:  # checked before any output: a run without images fails with one line
        from neural_networks.workflow.images import misclassified, plot_image_grid

        images, titles, wrong, tested = misclassified(config, data, model, run)
    from neural_networks.workflow.tables import format_table

    score = score_text(data.task, 0).split()[0]  # accuracy or mse, written as score_text writes them
    rows = [[split, loss, score_text(data.task, error).split()[1], samples]
            for split, loss, error, samples in split_scores(data, model)]
    click.echo("\n".join(format_table(["split", "loss", score, "samples"], rows)))
    if errors:
        shown = f"the first {len(images)} of " if len(images) < wrong else ""
        plot_image_grid(images, titles, errors, f"{run_name(run)}: {shown}{wrong} "
                        f"misclassified of {tested} test samples", columns=6)
        click.echo(f"{wrong} of {tested} test samples misclassified: {errors}")


@main.command()
@click.argument("run", type=click.Path())
@click.argument("inputs", nargs=-1, required=True, type=click.Path(), metavar="INPUT.csv|IMAGES...")
@click.option("-o", "--output", type=click.Path(),
              help="Write the predictions to this CSV (CSV or image inputs alike) and print its path.")
@click.option("--show", type=click.Path(), metavar="FILE.png",
              help="Images: draw them in a grid titled with their predictions (the model's view inset).")
@click.option("--invert", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Images: invert grayscale pixels; auto does when the image's background is light and the "
                   "training images' dark (ink on paper vs. digits/MNIST), or the reverse.")
@click.option("--as-is", "tidy", flag_value=False, default=True,
              help="Images: do not tidy grayscale photos (by default their grey paper becomes clean "
                   "background, their ink full ink, and the ink is framed as in the training images).")
def predict(run, inputs, output, show, invert, tidy):
    """Predict the rows of a CSV file, or image files, with a finished run's best parameters.

    The CSV holds one sample per row with the same feature columns as the training data
    (a header row is optional; a target column with the config's name is ignored).
    Image files (PNG, JPEG, ...; a folder stands for the images in it) need a model trained on
    images (digits, MNIST, or data.shape [rows, cols, 1 or 3]): each is taken as grayscale or RGB,
    centre-cropped and resized to the training images and scaled like their pixels (grayscale
    photos are also tidied: see --invert and --as-is); its predicted class and top-3 probabilities
    are printed.

    \b
    Example:
      nnrun predict experiments/iris new_flowers.csv -o predictions.csv
      nnrun predict experiments/digits_cnn photos/*.jpg --show predictions.png -o predictions.csv
    """
    from neural_networks.workflow.predict import input_kind, predict_csv, write_predictions

    images = input_kind(inputs, show) == "images"
    frame = predict_image_files(run, inputs, show, invert, tidy) if images else predict_csv(run, inputs[0])
    warn_if_diverged(run)
    if output:  # CSV or images alike: the file, and its path as the last line
        write_predictions(output, frame)
        click.echo(output)
    elif images:
        from neural_networks.workflow.tables import format_frame

        click.echo(format_frame(frame[[c for c in frame.columns if not c.startswith("p_")]]))
    else:
        click.echo(frame.to_csv(index=False, lineterminator="\n"), nl=False)


def warn_if_diverged(run):
    """On standard error: a note that ``run`` diverged and which epoch's parameters are used."""
    from neural_networks.workflow.loading import diverged_note

    note = diverged_note(run)
    if note:
        click.echo(note, err=True)


def run_name(run):
    """A run folder's name, for figure titles."""
    return os.path.basename(os.path.normpath(run))


def predict_image_files(run, inputs, show, invert, tidy):
    """``nnrun predict RUN IMAGES...``: the predictions' table; with ``show``, also a picture grid."""
    from neural_networks.workflow.images import plot_image_grid, predict_images, prediction_titles

    frame, originals, views = predict_images(run, inputs, invert, tidy)
    if show:
        plot_image_grid(originals, prediction_titles(frame), show, run_name(run), insets=views)
        click.echo(f"images with their predictions: {show}")
    return frame


@main.command()
@click.argument("config_or_run", type=click.Path())
@set_option()
@click.option("--plot", type=click.Path(dir_okay=False), metavar="FILE.png",
              help="Also draw the network, data flowing top to bottom (a run: its trained weights).")
def summary(config_or_run, overrides, plot):
    """Show a model's layers, output shapes and parameter counts (and draw it with --plot).

    CONFIG_OR_RUN is a YAML config or a run folder (whose trained weights the diagram then
    shows). The table has one row per layer, then the initializers, loss and optimizer.

    \b
    Example:
      nnrun summary configs/iris.yaml --set model.layers.0.n_out=32
      nnrun summary experiments/iris --plot iris.png
    """
    from neural_networks.workflow.loading import is_trained, load_model
    from neural_networks.workflow.model_table import format_summary

    resolved, data, model = load_model(config_or_run, overrides)
    click.echo(format_summary(resolved, data, model))
    if plot:
        from neural_networks.workflow.diagram import plot_architecture

        trained = data if is_trained(config_or_run, overrides) else None  # a run: its trained weights drawn
        plot_architecture(model, data.input_shape, plot, resolved["name"], resolved["dtype"], trained)
        click.echo(f"diagram: {plot}")


@main.command()
@click.argument("config", type=click.Path())
@set_option()
@click.option("--samples", default=4, show_default=True, help="Batch size for the check.")
@click.option("--elements", default=300, show_default=True, type=click.IntRange(min=0),
              help="Check at most this many elements of each gradient, drawn at random (0: all).")
def gradcheck(config, overrides, samples, elements):
    """Check every layer's gradients against finite differences (float64).

    Builds the config's model in float64 on a few samples of its own data, compares each
    layer's parameter and input gradients (inputs jittered by 1% of their spread, at most
    --elements of each) with central differences and exits 1 if any relative error exceeds
    1e-6. Elements at a kink (ReLU at exactly 0, tied max-pool inputs, clipped
    probabilities), where the two one-sided slopes disagree, have no derivative to check: they
    are skipped and counted.

    \b
    Example:
      nnrun gradcheck configs/iris.yaml
    """
    from neural_networks.gradcheck import TOLERANCE
    from neural_networks.config.schema import load_config
    from neural_networks.workflow.checks import network_gradients

    rows = network_gradients(load_config(config, overrides), samples, elements or None)
    from neural_networks.workflow.tables import format_table

    table = [[index, name, key, f"{error:.2e}", f"{skipped}/{checked}", "" if error < TOLERANCE else "FAIL"]
             for index, name, key, error, skipped, checked in rows]
    click.echo("\n".join(format_table(["layer", "name", "gradient", "relative error", "kinks/checked", ""],
                                       table)))
    worst = max(row[3] for row in rows)
    skipped = sum(row[4] for row in rows)
    click.echo(f"worst relative error {worst:.2e} (tolerance {TOLERANCE:g}), {skipped} elements "
               "at kinks skipped")
    if worst >= TOLERANCE:
        sys.exit(1)


@main.command()
@click.argument("config", type=click.Path())
@set_option()
def check(config, overrides):
    """Run the sanity checklist on a config, without training it or writing a run folder.

    \b
    One line per check, PASS, WARN or FAIL, with the measured value and a hint:
      initial loss    the untrained network's loss against chance (ln K for K classes)
      gradients       backprop against finite differences (float64, kinks skipped)
      overfit 20      20 training samples fitted (accuracy >= 0.99) in at most 500 steps
      zeroed inputs   training on zeroed inputs does clearly worse than on the real ones
      lr-find         the range test's suggested lr next to the configured one
    Exits 0 when no check fails, 1 when one does.

    \b
    Example:
      nnrun check configs/iris.yaml
      nnrun check configs/iris.yaml --set optimizer.lr=1e-7     # fails: the lr is far too low
    """
    from neural_networks.config.schema import load_config
    from neural_networks.workflow.checks import HEADER, format_check, run_checks

    resolved = load_config(config, overrides)
    click.echo(HEADER)
    results = run_checks(resolved, report=lambda result: click.echo(format_check(result)))
    if any(result.status == "FAIL" for result in results):
        sys.exit(1)


@main.command(name="lr-find")
@click.argument("config", type=click.Path())
@set_option()
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FILE.png",
              help="Where to draw the plot (default: SAVE_DIR/lr-find-NAME.png, numbered if it exists).")
def lr_find(config, overrides, output):
    """Find a learning rate with the range test (Smith 2015), from fresh weights.

    The lr grows exponentially from 1e-7 to 10 over 100 mini-batches, stopping early once
    the loss explodes (4x its best smoothed value). The plot shows the smoothed loss against
    the lr; the suggestion is a tenth of the lr at the smoothed minimum. Writes only the plot.

    \b
    Example:
      nnrun lr-find configs/iris.yaml -o iris-lr.png
    """
    import math

    from neural_networks.config.schema import load_config
    from neural_networks.workflow.lr_find import default_path, plot_range_test, range_test

    resolved = load_config(config, overrides)
    test = range_test(resolved)
    output = output or default_path(resolved)
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    plot_range_test(test, resolved["optimizer"]["lr"], output, resolved["name"])
    click.echo(f"plot: {output}")
    if math.isnan(test.suggestion):
        raise TrainingError("the loss never fell below its start: no lr to suggest (see the plot)")
    click.echo(f"suggested lr: {test.suggestion:.3g}")


@main.command(name="components")
@click.argument("kind", required=False)
@click.option("--markdown", is_flag=True, help="Print markdown tables (the README's reference).")
def components(kind, markdown):
    """List every registered component per kind, with its arguments and defaults.

    \b
    Example:
      nnrun components            # everything
      nnrun components layers     # only layers
    """
    from neural_networks.workflow import components as reference

    kinds = reference.kinds_named(kind)
    click.echo(reference.markdown(kinds) if markdown else reference.text(kinds))


main.add_command(click.Command("list-components", callback=components.callback, params=components.params,
                               help=components.help, hidden=True))  # the other name for it


# --- experiment workflow: sweep, compare, list, report ---

@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--grid", "grid", multiple=True, metavar="KEY=V1,V2,...",
              help="Values to try for a config key (repeatable: the runs are every combination).")
@click.option("--range", "ranges", multiple=True, metavar="KEY=LOW:HIGH[:log]",
              help="With --sampler random/tpe: a continuous range (integers when both ends are; "
                   "log-uniform with :log), e.g. optimizer.lr=1e-4:1:log (repeatable).")
@click.option("--choice", "choices", multiple=True, metavar="KEY=A,B,C",
              help="Values to choose from (with --sampler grid the same as --grid; repeatable).")
@click.option("--sampler", type=click.Choice(["grid", "random", "tpe"]), default="grid", show_default=True,
              help="grid: every combination; random or tpe: --trials runs drawn by Optuna (tpe learns from "
                   "the finished runs). Needs nnrun[optuna] for random and tpe.")
@click.option("--trials", type=click.IntRange(min=1), metavar="N",
              help="Runs of a random or tpe sweep (default 20).")
@click.option("--prune", is_flag=True,
              help="random/tpe: stop a run whose validation loss trails the median of the earlier runs at "
                   "the same epoch (from epoch 3, after 3 finished runs); its summary says pruned.")
@click.option("--random", type=click.IntRange(min=1), metavar="N",
              help="Run only N combinations drawn at random from the grid.")
@click.option("--random-seed", "sweep_seed", type=int, default=0, show_default=True,
              help="Seed of the --random draws (the runs' own seed is a config key: --grid seed=0,1,2).")
@click.option("--jobs", "-j", type=int, default=-1, show_default=True,
              help="Runs at once (-1: one per CPU core, or per Dask worker thread).")
@click.option("--name", help="Sweep folder name inside save_dir (default: CONFIG's name + '-sweep').")
@set_option(help="Override a config key in every run (repeatable).")
@run_options
@click.option("--backend", type=click.Choice(["loky", "dask"]), default="loky", show_default=True,
              help="loky: worker processes here; dask: the Dask cluster at --scheduler.")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Dask scheduler address (with --backend dask).")
def sweep(config, grid, ranges, choices, sampler, trials, prune, random, sweep_seed, jobs, name, overrides, seed,
          epochs, save_dir, quiet, backend, scheduler):
    """Train every combination of --grid values in parallel (or --trials runs drawn by Optuna);
    write sweep.csv, compare.png and parallel.png.

    Each run is a normal run folder inside the sweep folder. Started again, a sweep skips the
    runs already finished and resumes interrupted ones; a random or tpe sweep keeps its Optuna
    study in the sweep folder (optuna.journal) and continues it. --seed, --epochs and --save-dir
    set those keys in every run, as in nnrun train.

    \b
    Example:
      nnrun sweep configs/iris.yaml --grid optimizer.lr=0.01,0.1 --grid model.layers.0.n_out=8,32 --jobs 2
      nnrun sweep configs/iris.yaml --grid optimizer.lr=0.01,0.1 --backend dask --scheduler tcp://10.0.0.5:8786
      nnrun sweep configs/iris.yaml --sampler tpe --range optimizer.lr=1e-4:1:log
    """
    from neural_networks.workflow.sweep import sweep as run_sweep, sweep_table

    overrides = list(overrides) + option_overrides(seed, epochs, save_dir)
    try:
        sweep_dir, frame = run_sweep(config, grid, overrides, name, random, sweep_seed, jobs, backend, scheduler,
                                     log=(lambda line: None) if quiet else (lambda line: click.echo(line, err=True)),
                                     ranges=ranges, choices=choices, sampler=sampler, trials=trials, prune=prune)
    except KeyboardInterrupt:
        raise KeyboardInterrupt("run the same command again to skip the finished runs and resume the rest") from None
    if not quiet:
        click.echo(sweep_table(frame))
    click.echo(sweep_dir)


@main.command()
@click.argument("runs", nargs=-1, required=True)
@click.option("--metric", default="val_loss", show_default=True,
              type=click.Choice(METRICS),
              help="Metric to sort and plot; best_epoch is the epoch with its best value.")
@click.option("--by", multiple=True, metavar="KEY", help="Also plot the best metric against this config key.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Where to write the figure (default: experiments/compare-<runs>.png, never overwritten).")
def compare(runs, metric, by, output):
    """Overlay the runs' curves, plot the metric against --by keys, print the runs best first.

    RUNS are run folders, sweep folders or globs (quote them to let nnrun expand them). Runs are
    labelled by the config keys that differ between them; past 8 runs the curves are split into
    panels by one of those keys. The test_* columns are those of each run's saved best
    parameters (picked by its train.monitor); when that is another epoch than the best --metric
    epoch, a test_epoch column says which.

    \b
    Example:
      nnrun compare experiments/iris-sweep --by optimizer.lr
      nnrun compare 'experiments/iris*' --metric val_error
    """
    from neural_networks.workflow.compare import compare as compare_runs, compare_table, default_output
    from neural_networks.workflow.results import find_runs

    from neural_networks.workflow.sweep import swept, sweep_views

    output = output or default_output(runs)
    sweeps = [path for path in runs if swept(path)]
    frame = compare_runs(find_runs(runs), metric, [*by, *(k for k in swept(sweeps[0])[0] if k not in by)]
                         if len(sweeps) == 1 else by, output)
    report_damaged(frame)
    click.echo(compare_table(frame))
    click.echo(output)
    if len(sweeps) == 1 and len(frame) > 1:  # one sweep: also its parallel coordinates (and importances)
        parallel = os.path.splitext(output)[0] + "-parallel.png"
        importances = sweep_views(sweeps[0], frame, metric, parallel)
        click.echo(parallel)
        for key, share in importances.items():
            click.echo(f"importance of {key}: {share:.3f}")


def report_damaged(frame):
    """A line on standard error for each run a table skipped as damaged."""
    for reason in frame.attrs.get("damaged", []):
        click.echo(f"skipped a damaged run: {reason}", err=True)


@main.command(name="list")
@click.argument("directory", default="experiments", type=click.Path(file_okay=False))
@click.option("--sort", metavar="COLUMN", help="Sort by this column (e.g. val_loss, test_accuracy) instead of date.")
def list_runs(directory, sort):
    """List the runs in DIRECTORY (and its sweeps): settings, epochs, best validation and test results.

    \b
    Example:
      nnrun list experiments --sort val_loss
    """
    from neural_networks.workflow.results import listing, listing_table

    frame = listing(directory, sort)
    report_damaged(frame)
    click.echo(listing_table(frame) if len(frame) else f"no runs in {directory}")


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Where to write (default: PATH/report.html).")
def report(path, output):
    """Write a self-contained report.html (plots inlined, tables) of a run or a sweep.

    \b
    Example:
      nnrun report experiments/iris-sweep
    """
    from neural_networks.workflow.report import report as write_report

    click.echo(write_report(path, output))


@main.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--to", "to", required=True, type=click.Choice(["onnx", "tensorboard", "mlflow"]),
              help="onnx: a model file; tensorboard: event files; mlflow: runs in a tracking store.")
@click.option("-o", "--output", type=click.Path(), metavar="PATH",
              help="onnx: the .onnx file (default: model.onnx in each run folder; for a sweep, a folder for "
                   "<run>.onnx files); tensorboard: the log folder (default: RUN/tensorboard, a subfolder per run "
                   "for a sweep).")
@click.option("--tracking-uri", metavar="URI",
              help="mlflow: the tracking store (default: an mlruns folder beside RUN, in its save_dir).")
@click.option("--experiment", help="mlflow: the experiment's name (default: the sweep's folder name; "
                                   "nnrun for a single run).")
def export(run, to, output, tracking_uri, experiment):
    """Export a finished run, or every run of a sweep, to ONNX, TensorBoard or MLflow.

    The ONNX model takes raw features (batch, n_features) as `predict` reads them, with the
    run's preprocessing inside, and returns class probabilities or the regression outputs.
    Needs the matching extra: pip install 'nnrun[onnx]' (or [tensorboard], [mlflow]).

    \b
    Example:
      nnrun export experiments/iris --to onnx -o iris.onnx
      nnrun export experiments/iris-sweep --to tensorboard
      tensorboard --logdir experiments/iris-sweep/tensorboard
      nnrun export experiments/iris --to mlflow --tracking-uri http://host:5000
    """
    from neural_networks.workflow.export import export as export_run

    if to == "mlflow" and output:
        raise click.UsageError("--to mlflow writes to --tracking-uri, not -o")
    if to != "mlflow" and (tracking_uri or experiment):
        raise click.UsageError("--tracking-uri and --experiment go with --to mlflow")
    for written in export_run(run, to, tracking_uri if to == "mlflow" else output, experiment):
        click.echo(f"mlflow run {written}" if to == "mlflow" else written)


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the schema to FILE (an older nnrun schema there is replaced) instead of printing it.")
def schema(output):
    """Print the JSON Schema of nnrun configs, for editors that complete and check YAML.

    Generated from every registered component and config key. A config whose first line is
    `# yaml-language-server: $schema=nnrun.schema.json` is checked against the schema file
    beside it by VS Code's YAML extension (and other editors using yaml-language-server).

    \b
    Example:
      nnrun schema -o configs/nnrun.schema.json
    """
    from neural_networks.workflow.json_schema import text, write

    if output:
        click.echo(write(output))
    else:
        click.echo(text(), nl=False)


if __name__ == "__main__":
    main()
