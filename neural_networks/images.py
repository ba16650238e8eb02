"""Image files in, pictures out: a user's photos as a run's inputs, and grids of images with labels.

A photo is fitted to the training images' size (centre crop, area-averaged resize), taken as
grayscale or RGB, scaled from [0, 1] to the training pixels' range (digits 0..16, MNIST 0..1) and
then preprocessed exactly as in training. Grayscale photos of dark ink on white paper are inverted
when the training images have a dark background (as digits and MNIST do). Needs Pillow
(``pip install nnrun[images]``).
"""
import os
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
# Data sources whose flat samples are known images: (rows, cols, channels).
KNOWN_IMAGES = {"digits": (8, 8, 1), "mnist": (28, 28, 1)}
INVERT = ("auto", "always", "never")


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
    """The training images' raw pixel range and whether their background (border) is dark."""

    low: float
    high: float
    dark_background: bool

    @classmethod
    def of(cls, data, shape, samples=1000):
        """Measured on (up to ``samples``) raw training images."""
        images = raw_images(data, data.train.X[:samples], shape)
        low, high = float(images.min()), float(images.max())
        return cls(low, high, (border_means(images).mean() - low) < (high - low) / 2)

    def unit(self, images):
        """Raw pixels -> [0, 1] (for display)."""
        return np.clip((images - self.low) / max(self.high - self.low, 1e-12), 0, 1)


def border_means(images):
    """The mean of each image's outer rows and columns: its background, if the subject is centred."""
    n = len(images)
    return np.concatenate([images[:, [0, -1]].reshape(n, -1), images[:, :, [0, -1]].reshape(n, -1)], axis=1).mean(1)


def raw_images(data, X, shape):
    """Preprocessed samples -> raw pixel values (undoing X' = (X - shift) / scale), as (n, *shape)."""
    flat = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    return (flat * data.scale + data.shift).reshape((len(X),) + tuple(shape))


def read_image(path, shape, thumbnail=256):
    """(a thumbnail of the image as read, RGB or L; its (rows, cols, channels) array in [0, 1] fitted to ``shape``)."""
    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError:
        raise ConfigError("reading images needs Pillow: pip install 'nnrun[images]'") from None
    rows, cols, channels = shape
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened)
            if "A" in image.getbands() or "transparency" in image.info:  # transparent -> white paper
                image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
            image = image.convert("L" if channels == 1 else "RGB")
    except FileNotFoundError:
        raise ConfigError(f"image file {path!r} does not exist") from None
    except (UnidentifiedImageError, OSError) as error:
        raise ConfigError(f"cannot read image {path!r}: {error}") from None
    fitted = ImageOps.fit(image, (cols, rows), method=Image.Resampling.BOX)
    image.thumbnail((thumbnail, thumbnail))
    return image, np.asarray(fitted, dtype=np.float64).reshape(shape) / 255.0


def to_raw(pixels, scale, invert="auto"):
    """Images in [0, 1] (n, rows, cols, channels) -> the training data's raw pixel values.

    ``auto`` inverts a grayscale image whose border is light when the training border is dark (and
    the reverse), so that ink on paper matches the training images; colour images are never inverted.
    """
    if invert not in INVERT:
        raise ConfigError(f"invert {invert!r}: allowed {', '.join(INVERT)}")
    if invert == "always":
        flip = np.ones(len(pixels), dtype=bool)
    elif invert == "never" or pixels.shape[-1] != 1:
        flip = np.zeros(len(pixels), dtype=bool)
    else:
        flip = (border_means(pixels) > 0.5) == scale.dark_background
    pixels = np.where(flip[:, None, None, None], 1 - pixels, pixels)
    return scale.low + pixels * (scale.high - scale.low), flip


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


def predict_images(run_dir, inputs, invert="auto"):
    """(frame of file, prediction, top-3 and probabilities; images as read; the model's views in [0, 1])."""
    import pandas as pd

    from .experiment import load_run
    from .predict import output_columns

    config, data, model = load_run(run_dir)
    shape = require_image_shape(config, data, run_dir, "predicting image files")
    paths = image_paths(inputs)
    originals, pixels = zip(*(read_image(path, shape) for path in paths))
    scale = PixelScale.of(data, shape)
    raw, flipped = to_raw(np.stack(pixels), scale, invert)
    outputs = model.predict(data.transform(raw.reshape(len(raw), -1), np.dtype(config["dtype"])))
    columns = output_columns(outputs, data)
    frame = pd.DataFrame({"file": paths, **columns})
    if data.task == "classification":
        frame.insert(2, "top3", top_classes(outputs, data.classes))
        frame.insert(3, "inverted", flipped)
    return frame, list(originals), scale.unit(raw)


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
    """Images in a grid, each titled (the course's ``vis_img_label``); ``insets``: small images in a corner.

    Images are PIL images or (rows, cols, channels) arrays in [0, 1]; one channel is drawn in gray.
    """
    from .plots import pyplot, save

    plt = pyplot()
    rows = max(1, -(-len(images) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.5 * rows), squeeze=False, layout="constrained",
                             subplot_kw={"xticks": [], "yticks": []})  # no ticks to lay out: twice as fast
    for ax in axes.ravel():
        ax.axis("off")
    for i, (image, label) in enumerate(zip(images, titles)):
        ax = axes.ravel()[i]
        _show(ax, image)
        ax.set_title(label, fontsize=9)
        if insets is not None:
            inset = ax.inset_axes([0.68, 0.68, 0.32, 0.32])
            _show(inset, insets[i])
            inset.set_xticks([])
            inset.set_yticks([])
            for spine in inset.spines.values():
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
