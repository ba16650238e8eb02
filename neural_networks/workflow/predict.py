"""Predictions of a finished run for new samples given as a CSV file (image files: ``images``)."""
import os

import numpy as np

from ..config.errors import ConfigError
from .loading import load_run
from .outputs import output_columns


def read_features(path, n_features, drop=None):
    """A numeric (rows, n_features) array from a CSV with or without a header row.

    A column named ``drop`` (the training target) is left out if present.
    """
    import pandas as pd

    try:
        frame = pd.read_csv(path, header=None)
    except FileNotFoundError:
        raise ConfigError(f"input file {path!r} does not exist") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as error:
        raise ConfigError(f"cannot read CSV {path!r}: {str(error).splitlines()[0]}") from None
    first = frame.iloc[0]
    if (pd.to_numeric(first, errors="coerce").isna() & first.notna()).any():  # text, not blanks: a header row
        frame.columns = [str(c) for c in frame.iloc[0]]
        frame = frame.iloc[1:]
        if isinstance(drop, str) and drop in frame.columns:
            frame = frame.drop(columns=[drop])
    values = frame.apply(pd.to_numeric, errors="coerce")
    bad = [str(c) for c in values.columns if values[c].isna().any()]
    if bad:
        raise ConfigError(f"{path}: non-numeric or missing values in column(s) {', '.join(bad)}")
    if values.empty:
        raise ConfigError(f"{path} has no rows to predict")
    if values.shape[1] != n_features:
        raise ConfigError(f"{path} has {values.shape[1]} feature columns; the model takes {n_features}")
    return values.to_numpy(dtype=np.float64)


def input_kind(inputs, show=False):
    """``"images"`` when every input is an image file or a folder (of images), ``"csv"`` for one CSV
    file; ConfigError for anything else (several CSVs, a mix, or ``--show`` with a CSV)."""
    from .images import is_image_file

    if all(is_image_file(path) or os.path.isdir(path) for path in inputs):
        return "images"
    if len(inputs) > 1 or show:
        raise ConfigError("give one CSV file, or image files (.png, .jpg, ...) and folders of them; "
                          f"got {' '.join(inputs)}" + (" with --show" if show else ""))
    return "csv"


def predict_csv(run_dir, path):
    """A pandas frame of predictions (with class probabilities for classifiers) for each CSV row."""
    import pandas as pd

    config, data, model = load_run(run_dir)
    X = read_features(path, int(np.prod(data.input_shape)), config["data"].get("target"))
    outputs = model.predict(data.transform(X, np.dtype(config["dtype"])))
    return pd.DataFrame({"row": np.arange(len(X)), **output_columns(outputs, data)})


def write_predictions(path, frame):
    """Save the predictions as CSV (atomically); a path that cannot be written is the user's to fix."""
    from .files import write_frame

    try:
        write_frame(path, frame)
    except OSError as error:
        raise ConfigError(f"cannot write {path!r}: {error.strerror or error}") from None
