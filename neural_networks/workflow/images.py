"""Image files in, pictures out: a user's photos as a run's inputs, and grids of images with labels.

Each image is taken as grayscale or RGB and cut to the training images' aspect ratio around its
centre, area-averaged to their size and scaled from [0, 1] to the training pixels' range (digits
0..16, MNIST 0..1) before the training preprocessing. A grayscale image of dark ink on light paper
is inverted when the training images have a dark background (digits and MNIST do). A grayscale
*photo* (its paper is not a clean background) is also tidied like the training images: levels
stretched (grey paper -> background, strongest ink -> full ink) and the window put around the ink,
which then spans as much of the frame as the ink of a typical training image does.
Images are read with Pillow, which matplotlib already requires.
"""
import os
from dataclasses import dataclass

import numpy as np

from ..config.errors import ConfigError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
# Data sources whose flat samples are known images: (rows, cols, channels).
KNOWN_IMAGES = {"digits": (8, 8, 1), "mnist": (28, 28, 1)}
INVERT = ("auto", "always", "never")
DULL = 0.02  # a background (10th percentile of the ink) above this is a photo's grey paper
INK = 0.2    # a pixel with at least this share of full ink is part of the subject's bounding box


def is_image_file(path):
    return path.lower().endswith(IMAGE_EXTENSIONS)


def image_shape(config, data):
    """(rows, cols, channels) of the run's samples as images, or None when they are not images."""
    shape = tuple(data.input_shape)
    if len(shape) == 3 and shape[2] in (1, 3):
        return shape
    if len(shape) == 2:
        return shape + (1,)
    known = KNOWN_IMAGES.get(config["data"]["name"])
    return known if known and np.prod(known) == np.prod(shape) else None


def require_image_shape(config, data, run_dir, what):
    """:func:`image_shape`, or a ConfigError saying that ``what`` needs image data."""
    shape = image_shape(config, data)
    if shape is None:
        raise ConfigError(f"{what} needs a model trained on images; {run_dir} was trained on data "
                          f"{config['data']['name']!r} with input shape {list(data.input_shape)} "
                          "(set data.shape to [rows, cols, 1 or 3] for image data)")
    return shape


@dataclass
class PixelScale:
    """What the training images look like: raw pixel range, background polarity, share of the frame
    their ink's bounding box spans (median over images)."""

    low: float
    high: float
    dark_background: bool
    extent: float

    @classmethod
    def of(cls, data, shape, samples=1000):
        """Measured on (up to ``samples``) raw training images."""
        images = raw_images(data, data.train.X[:samples], shape)
        low, high = float(images.min()), float(images.max())
        unit = (images - low) / max(high - low, 1e-12)
        dark = bool(border_means(unit).mean() < 0.5)
        extents = ink_extents((unit if dark else 1 - unit) > INK)
        return cls(low, high, dark, float(np.nanmedian(extents)) if np.isfinite(extents).any() else 1.0)

    def unit(self, images):
        """Raw pixels -> [0, 1] (for display)."""
        return np.clip((images - self.low) / max(self.high - self.low, 1e-12), 0, 1)


def border_means(images):
    """The mean of each image's outer rows and columns: its background, if the subject is centred."""
    n = len(images)
    return np.concatenate([images[:, [0, -1]].reshape(n, -1), images[:, :, [0, -1]].reshape(n, -1)], axis=1).mean(1)


def ink_bounds(mask):
    """(top, bottom, left, right) rows/columns (bottom, right exclusive) of the ink in masks (n, rows, cols)."""
    rows, cols = mask.any(axis=2), mask.any(axis=1)
    return (rows.argmax(1), rows.shape[1] - rows[:, ::-1].argmax(1),
            cols.argmax(1), cols.shape[1] - cols[:, ::-1].argmax(1))


def ink_extents(mask):
    """The share of the frame spanned by each ink mask's (n, rows, cols, channels) bounding box (NaN if empty)."""
    mask = mask.any(axis=3)
    top, bottom, left, right = ink_bounds(mask)
    extent = np.maximum((bottom - top) / mask.shape[1], (right - left) / mask.shape[2])
    return np.where(mask.any(axis=(1, 2)), extent, np.nan)


def raw_images(data, X, shape):
    """Preprocessed samples -> raw pixel values (undoing X' = (X - shift) / scale), as (n, *shape)."""
    flat = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    return (flat * data.scale + data.shift).reshape((len(X),) + tuple(shape))


MAX_PIXELS = 50_000_000  # a 50-megapixel photo; beyond, decoding alone needs gigabytes (or it is a bomb)


def read_image(path, channels, thumbnail=256):
    """(a thumbnail of the image for display, its full (height, width, channels) float32 array in [0, 1]).

    The size in the image's header is checked before any pixel is decoded: a file claiming more than
    MAX_PIXELS (a decompression bomb, or an absurdly large image) is refused in one line.
    """
    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError:
        raise ConfigError("reading images needs Pillow (matplotlib's own dependency): pip install Pillow") from None
    Image.MAX_IMAGE_PIXELS = None  # nnrun checks the size itself, with a one-line error instead of a warning
    try:
        with Image.open(path) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise ConfigError(f"image {path!r} is {opened.width} x {opened.height} pixels, over the limit of "
                                  f"{MAX_PIXELS // 1_000_000} megapixels: scale it down first")
            image = ImageOps.exif_transpose(opened)
            if "A" in image.getbands() or "transparency" in image.info:  # transparent -> white paper
                image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
            image = image.convert("L" if channels == 1 else "RGB")
    except FileNotFoundError:
        raise ConfigError(f"image file {path!r} does not exist") from None
    except ConfigError:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as error:
        raise ConfigError(f"cannot read image {path!r}: {error}") from None
    array = np.asarray(image, dtype=np.float32).reshape(image.height, image.width, channels) / 255
    image.thumbnail((thumbnail, thumbnail))
    return image, array


def resample(array, box, rows, cols):
    """The window ``box`` (left, top, right, bottom; 0 beyond the edges) of ``array`` (height, width,
    channels), area-averaged to (rows, cols, channels)."""
    from PIL import Image

    left, top, right, bottom = box
    pad = int(np.ceil(max(0, -left, -top, right - array.shape[1], bottom - array.shape[0])))
    array = np.pad(array, ((pad, pad), (pad, pad), (0, 0)))
    box = (left + pad, top + pad, right + pad, bottom + pad)
    channels = [Image.fromarray(array[..., k], "F") for k in range(array.shape[2])]
    return np.stack([np.asarray(c.resize((cols, rows), Image.Resampling.BOX, box=box)) for c in channels], axis=-1)


def centre_window(height, width, rows, cols):
    """The largest window of the output's aspect ratio around the image's centre."""
    scale = min(height / rows, width / cols)
    return ((width - cols * scale) / 2, (height - rows * scale) / 2,
            (width + cols * scale) / 2, (height + rows * scale) / 2)


def ink_window(ink, rows, cols, extent):
    """A window of the output's aspect ratio around the ink (> INK), which spans ``extent`` of it."""
    top, bottom, left, right = (int(b[0]) for b in ink_bounds(ink[None, ..., 0] > INK))
    scale = max((bottom - top) / rows, (right - left) / cols) / extent
    y, x = (top + bottom) / 2, (left + right) / 2
    return x - cols * scale / 2, y - rows * scale / 2, x + cols * scale / 2, y + rows * scale / 2


def model_view(array, shape, scale, invert="auto", tidy=True):
    """An image (height, width, channels) in [0, 1] -> (the model's view in [0, 1] at ``shape``,
    inverted?, tidied?).

    ``invert``: ``auto`` inverts a grayscale image whose border is light when the training images'
    is dark, or the reverse; colour images only with ``always``. ``tidy``: a grayscale photo's levels
    are stretched, ink' = clip((ink - floor) / (max - floor), 0, 1) with floor its 10th percentile,
    and the window is put around the ink.
    """
    if invert not in INVERT:
        raise ConfigError(f"invert {invert!r}: allowed {', '.join(INVERT)}")
    rows, cols, channels = shape
    grey = channels == 1
    flip = invert == "always" or (invert == "auto" and grey and
                                  (border_means(array[None])[0] > 0.5) == scale.dark_background)
    array = 1 - array if flip else array
    ink = array if scale.dark_background else 1 - array
    floor, top = (np.percentile(ink, 10), ink.max()) if tidy and grey else (0, 0)
    tidied = bool(floor > DULL and top > floor)
    if tidied:
        ink = np.clip((ink - floor) / (top - floor), 0, 1)
        window = ink_window(ink, rows, cols, scale.extent)
    else:
        window = centre_window(*array.shape[:2], rows, cols)
    view = resample(ink, window, rows, cols)  # in ink space, where beyond the edges (0) is background
    return (view if scale.dark_background else 1 - view), flip, tidied


def image_paths(inputs):
    """The image files named, a folder standing for the image files in it (sorted)."""
    paths = []
    for path in inputs:
        if os.path.isdir(path):
            paths += sorted(os.path.join(path, f) for f in os.listdir(path) if is_image_file(f))
        else:
            paths.append(path)
    if not paths:
        raise ConfigError(f"no image files ({', '.join(IMAGE_EXTENSIONS)}) in {', '.join(inputs)}")
    return paths


def predict_images(run_dir, inputs, invert="auto", tidy=True):
    """(frame of file, prediction, top-3 and probabilities; images as read; the model's views in [0, 1]).

    ``invert`` and ``tidy``: see :func:`model_view`.
    """
    import pandas as pd

    from .loading import load_run
    from .outputs import output_columns

    config, data, model = load_run(run_dir)
    shape = require_image_shape(config, data, run_dir, "predicting image files")
    scale = PixelScale.of(data, shape)
    paths, originals, prepared = image_paths(inputs), [], []
    for path in paths:  # one full-size image in memory at a time
        original, array = read_image(path, shape[2])
        originals.append(original)
        prepared.append(model_view(array, shape, scale, invert, tidy))
    views, flipped, tidied = (np.array(values) for values in zip(*prepared))
    raw = scale.low + views.astype(np.float64) * (scale.high - scale.low)
    outputs = model.predict(data.transform(raw.reshape(len(raw), -1), np.dtype(config["dtype"])))
    columns = output_columns(outputs, data)
    probabilities = {k: columns.pop(k) for k in list(columns) if k.startswith("p_")}
    top3 = {"top3": top_classes(outputs, data.classes)} if probabilities else {}
    frame = pd.DataFrame({"file": paths, **columns, **top3, "inverted": flipped, "tidied": tidied, **probabilities})
    return frame, originals, views


def top_classes(outputs, classes, k=3):
    """``"3 (0.912), 8 (0.051), 5 (0.020)"`` per row: the ``k`` likeliest classes and their probabilities."""
    order = np.argsort(-outputs, axis=1, kind="stable")[:, :k]
    return [", ".join(f"{classes[j]} ({p[j]:.3f})" for j in row) for row, p in zip(order, outputs)]


def prediction_titles(frame):
    """``file name / class (probability)`` per row of :func:`predict_images`' frame (the values for regression)."""
    names = [os.path.basename(path) for path in frame["file"]]
    if "top3" in frame:
        best = frame[[c for c in frame.columns if c.startswith("p_")]].to_numpy().max(axis=1)
        return [f"{name}\n{label} ({p:.2f})" for name, label, p in zip(names, frame["prediction"], best)]
    values = frame[[c for c in frame.columns if c.startswith("prediction")]].to_numpy()
    return [f"{name}\n" + ", ".join(f"{v:.3g}" for v in row) for name, row in zip(names, values)]


def misclassified(config, data, model, run_dir, limit=48):
    """(images in [0, 1], titles, number wrong, number tested) for the test samples the model gets wrong."""
    shape = require_image_shape(config, data, run_dir, "--errors")
    if data.task != "classification":
        raise ConfigError(f"--errors is for classification runs; {run_dir} is a regression")
    if len(data.test) == 0:
        raise ConfigError(f"--errors draws test samples; {run_dir} has none (data.test_split is 0)")
    outputs = model.predict(data.test.X)
    true, predicted = data.test.Y.argmax(axis=1), outputs.argmax(axis=1)
    wrong = np.flatnonzero(true != predicted)
    shown = wrong[:limit]
    images = PixelScale.of(data, shape).unit(raw_images(data, data.test.X[shown], shape))
    titles = [f"row {data.test.index[i]}: true {data.classes[true[i]]}\n"
              f"predicted {data.classes[predicted[i]]} ({outputs[i, predicted[i]]:.2f})" for i in shown]
    return images, titles, len(wrong), len(data.test)


def plot_image_grid(images, titles, path, title="", insets=None, columns=4):
    """Images in a grid, each titled (the course's ``vis_img_label``); ``insets``: for each image,
    what the model saw, drawn small beside it and labelled.

    Images are PIL images or (rows, cols, channels) arrays in [0, 1]; one channel is drawn in gray.
    """
    from .plots import figure, save

    rows = max(1, -(-len(images) // columns))
    pair = insets is not None
    fig = figure(figsize=((3.3 if pair else 2.2) * columns, 2.6 * rows), layout="constrained")
    # no ticks to lay out: twice as fast
    axes = fig.subplots(rows, columns * (2 if pair else 1), squeeze=False,
                        gridspec_kw={"width_ratios": [2, 1] * columns} if pair else None,
                        subplot_kw={"xticks": [], "yticks": []})
    for ax in axes.ravel():
        ax.axis("off")
    cells = axes.reshape(rows * columns, 2 if pair else 1)
    for i, (image, label) in enumerate(zip(images, titles)):
        _show(cells[i][0], image)
        cells[i][0].set_title(label, fontsize=9)
        if pair:
            view = cells[i][1]
            _show(view, insets[i])
            view.axis("on")
            view.set_title("model's view", fontsize=8, color="#d04010")
            for spine in view.spines.values():
                spine.set_edgecolor("#d04010")
    if len(images) == 0:
        axes[0, 0].text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=axes[0, 0].transAxes)
    fig.suptitle(title)
    save(fig, path)


def _show(ax, image):
    """Draw a PIL image or an array in [0, 1]; a single channel in gray."""
    image = np.asarray(image)
    image = image / 255.0 if image.dtype == np.uint8 else image
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    ax.imshow(image, cmap="gray", vmin=0, vmax=1)
