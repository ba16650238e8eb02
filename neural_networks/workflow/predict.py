"""Predictions of a finished run for new samples given as a CSV file (image files: ``images``)."""
import os

import numpy as np

from ..config.errors import ConfigError
from .loading import load_run
from .outputs import output_columns


TARGET_NAMES = ("target",)  # what scikit-learn's frames call the target: never a feature


def read_features(path, data, dtype):
    """A numeric (rows, features) array from a CSV with or without a header row, in the training order.

    The first row is a header when every cell of it is text. When the training data had column names,
    a header is matched to them by name (any order; an unknown or missing name is an error listing
    them); otherwise columns are taken in order. A column named like the training target (``target``,
    or the training file's name for it) is left out either way. A first row mixing text and numbers, any other text,
    a missing value and a non-finite number (or one beyond ``dtype``) are refused with their line.
    """
    import pandas as pd

    from ..data_checks import check_finite, encoding_error
    from ..datasets import locator

    if os.path.exists(path) and not os.path.isfile(path):  # a folder, a device or a pipe (/dev/zero)
        raise ConfigError(f"input {path!r} is not a regular file")
    try:
        cells = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, skip_blank_lines=True)
    except FileNotFoundError:
        raise ConfigError(f"input file {path!r} does not exist") from None
    except UnicodeDecodeError as error:
        raise ConfigError(encoding_error(path, error).message) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as error:
        raise ConfigError(f"cannot read CSV {path!r}: {str(error).splitlines()[0]}") from None
    cells = cells.apply(lambda column: column.str.strip())
    text = cells.apply(pd.to_numeric, errors="coerce").isna() & ~cells.isin(["", "nan", "NaN", "NAN"])
    header = bool(text.iloc[0].all())
    if text.iloc[0].any() and not header:
        column = int(np.flatnonzero(text.iloc[0])[0])
        raise ConfigError(f"{path}: row 1 mixes text ({cells.iat[0, column]!r} in column {column}) with numbers: "
                          "it is neither a header (naming every column) nor a row of numbers")
    if header:
        cells = select_columns(path, cells.iloc[1:].set_axis(list(cells.iloc[0]), axis=1), data.columns,
                               [*TARGET_NAMES, data.target_name])
    numbers = cells.apply(pd.to_numeric, errors="coerce")
    text = numbers.isna() & ~cells.isin(["", "nan", "NaN", "NAN"])
    if text.to_numpy().any():
        row, column = np.argwhere(text.to_numpy())[0]
        raise ConfigError(f"{path}: non-numeric value {cells.iat[row, column]!r} on line {row + 1 + header}, "
                          f"column {cells.columns[column]}")
    if numbers.empty:
        raise ConfigError(f"{path} has no rows to predict")
    missing = numbers.isna().to_numpy()
    if missing.any():
        row, column = np.argwhere(missing)[0]
        raise ConfigError(f"{path}: missing values in column(s) {numbers.columns[column]}, the first on line "
                          f"{row + 1 + header} (an empty cell or NaN)")
    n_features = int(np.prod(data.input_shape))
    if numbers.shape[1] != n_features:
        raise ConfigError(f"{path} has {numbers.shape[1]} feature columns; the model takes {n_features}")
    X = numbers.to_numpy(dtype=np.float64)
    check_finite(X, dtype, locator(path, [str(c) for c in numbers.columns], 1 + header, "line"))
    return X


def select_columns(path, frame, expected, targets):
    """The feature columns of a CSV with a header: ``expected`` (the training names) by name, in their
    order, if known; else every column in order. Columns named like the target are left out."""
    frame = frame[[name for name in frame.columns if name not in targets]]
    if len(set(frame.columns)) < frame.shape[1]:
        raise ConfigError(f"{path}: its header names a column twice")
    if not expected:
        return frame
    unknown = [name for name in frame.columns if name not in expected]
    missing = [name for name in expected if name not in frame.columns]
    if unknown or missing:
        problems = "; ".join(part for part in (
            f"unknown column(s) {', '.join(map(repr, unknown))}" if unknown else "",
            f"missing column(s) {', '.join(map(repr, missing))}" if missing else "") if part)
        raise ConfigError(f"{path}: {problems}; the model takes the columns {', '.join(expected)} "
                          "(in any order)")
    return frame[expected]


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
    dtype = np.dtype(config["dtype"])
    X = read_features(path, data, dtype)
    outputs = model.predict(data.transform(X, dtype))
    return pd.DataFrame({"row": np.arange(len(X)), **output_columns(outputs, data)})


def write_predictions(path, frame):
    """Save the predictions as CSV (atomically); a path that cannot be written is the user's to fix."""
    from .files import write_frame

    try:
        write_frame(path, frame)
    except OSError as error:
        raise ConfigError(f"cannot write {path!r}: {error.strerror or error}") from None
