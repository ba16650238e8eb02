"""The ``nnrun`` command line: thin click commands over the ``neural_networks`` library.

Config and input errors print one line and exit 2; a failed run (e.g. a diverged loss) exits 1.
The library is imported inside each command so that ``nnrun --help`` starts fast.
"""
import sys

import click

from neural_networks.errors import ConfigError, TrainingError


class Group(click.Group):
    """A click group that turns nnrun's errors into one line on stderr and an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(2)
        except TrainingError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)
        except click.UsageError as error:  # click's own four-line form, as one line
            where = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            click.echo(f"Error: {error.format_message()}{where}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nnrun", prog_name="nnrun")
def main():
    """Train neural networks written in plain NumPy from one YAML file.

    \b
    Example:
      nnrun train configs/iris.yaml
      nnrun train configs/iris.yaml --set optimizer.lr=0.1 --quiet
    """


def train_options(command):
    """The options shared by ``nnrun train`` and ``python train_ffnn.py``."""
    options = [
        click.argument("config", type=click.Path()),
        click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                     help="Override a config key by its dotted path, e.g. optimizer.lr=0.1 or "
                          "model.layers.0.n_out=32 (repeatable)."),
        click.option("--name", help="Run folder name (default: the config's name)."),
        click.option("--seed", type=int, help="Random seed."),
        click.option("--epochs", type=int, help="Number of epochs."),
        click.option("--save-dir", help="Folder that holds the run folders (default: experiments)."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary; print only the run folder."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def train_run(config, overrides, name, seed, epochs, save_dir, quiet):
    """Load, override and train; print a short result and the run folder as the last line."""
    from neural_networks.config import load_config
    from neural_networks.experiment import run

    extra = [f"{key}={value}" for key, value in
             (("name", name), ("seed", seed), ("train.epochs", epochs), ("log.save_dir", save_dir))
             if value is not None]
    overrides = list(overrides) + extra
    resolved = load_config(config, overrides)
    progress = not quiet and sys.stderr.isatty()
    run_dir, summary = run(resolved, overrides, progress=progress)
    if not quiet:
        test = summary["test"]
        score = (f"test accuracy {test['accuracy']:.4f}" if "accuracy" in test
                 else f"test mse {test['mse']:.4g}")
        click.echo(f"best epoch {summary['best_epoch']}/{summary['epochs_run']}, "
                   f"test loss {test['loss']:.4g}, {score}, {summary['seconds']:.2f} s")
    click.echo(run_dir)


@main.command()
@train_options
def train(**options):
    """Train the network a YAML config describes and write a run folder.

    \b
    Example:
      nnrun train configs/iris.yaml --set optimizer.lr=0.1 --set model.layers.0.n_out=32
    """
    train_run(**options)


@main.command()
@click.argument("run", type=click.Path())
def evaluate(run):
    """Evaluate a finished run's best parameters on its test split.

    \b
    Example:
      nnrun evaluate experiments/iris
    """
    from neural_networks.experiment import load_run
    from neural_networks.trainer import evaluate as evaluate_split

    config, data, model = load_run(run)
    for split in ("train", "val", "test"):
        loss, error, _ = evaluate_split(model, getattr(data, split), data.task)
        score = f"accuracy {1 - error:.4f}" if data.task == "classification" else f"mse {error:.4g}"
        click.echo(f"{split:5s}  loss {loss:.4g}  {score}  ({len(getattr(data, split))} samples)")


@main.command()
@click.argument("run", type=click.Path())
@click.argument("input_csv", type=click.Path())
@click.option("-o", "--output", type=click.Path(), help="Write the predictions to this CSV.")
def predict(run, input_csv, output):
    """Predict the rows of a CSV file with a finished run's best parameters.

    The CSV holds one sample per row with the same feature columns as the training data
    (a header row is optional; a target column with the config's name is ignored).

    \b
    Example:
      nnrun predict experiments/iris new_flowers.csv -o predictions.csv
    """
    from neural_networks.predict import predict_csv, write_predictions

    frame = predict_csv(run, input_csv)
    if output:
        write_predictions(output, frame)
        click.echo(output)
    else:
        click.echo(frame.to_csv(index=False, lineterminator="\n"), nl=False)


@main.command()
@click.argument("config", type=click.Path())
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config key.")
@click.option("--samples", default=4, show_default=True, help="Batch size for the check.")
def gradcheck(config, overrides, samples):
    """Check every layer's gradients against finite differences (float64).

    Builds the config's model on a few samples of its own data, compares each layer's
    parameter and input gradients with central differences and exits 1 if any relative
    error exceeds 1e-6.

    \b
    Example:
      nnrun gradcheck configs/iris.yaml
    """
    from neural_networks.config import load_config
    from neural_networks.experiment import build
    from neural_networks.gradcheck import TOLERANCE, check_network

    resolved = load_config(config, list(overrides) + ["dtype=float64"])
    _, data, model, _ = build(resolved)
    rows = check_network(model, data.train.X[:samples].copy(), data.train.Y[:samples])
    click.echo(f"{'layer':>5}  {'name':24s} {'gradient':8s} {'relative error':>14s}")
    for index, name, key, error in rows:
        flag = "" if error < TOLERANCE else "  FAIL"
        click.echo(f"{index!s:>5}  {name:24s} {key:8s} {error:14.2e}{flag}")
    worst = max(error for *_, error in rows)
    click.echo(f"worst relative error {worst:.2e} (tolerance {TOLERANCE:g})")
    if worst >= TOLERANCE:
        sys.exit(1)


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
    from neural_networks import reference
    from neural_networks.registries import REGISTRIES

    kinds = REGISTRIES
    if kind:
        from neural_networks.validation import closest

        kinds = {k: r for k, r in REGISTRIES.items() if k.startswith(kind.rstrip("s"))}
        if not kinds:
            raise ConfigError(f"unknown kind {kind!r}{closest(kind, REGISTRIES)}; valid: {', '.join(REGISTRIES)}")
    click.echo(reference.markdown(kinds) if markdown else reference.text(kinds))


main.add_command(components, name="list-components")

if __name__ == "__main__":
    main()
