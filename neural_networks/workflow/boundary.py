"""Decision boundaries of a classifier on 2 input features: ``decision_boundary.png`` (the final
model's class regions with the training and test points) and ``decision_boundary.gif`` (the regions
epoch by epoch, so the boundary can be watched forming, as in TensorFlow Playground).

The model is evaluated on a fixed grid over the plane of the raw inputs (the data's range plus a
10% margin on each side; raw x = x' · scale + shift undoes the preprocessing). Each grid cell is
coloured by its predicted class k = argmax p, faded towards white where the model is unsure:
colour = white + s · (colour_k - white), s = 0.15 + 0.45 · c with the confidence
c = (p_k - 1/K) / (1 - 1/K) (0 at chance, 1 at certainty).
"""
import numpy as np

from . import files
from .plots import figure, save
from ..callbacks import Callback

MARGIN = 0.1        # of the data's range, added on each side of the plane drawn
PNG_GRID = 200      # grid points per side for decision_boundary.png
FRAME_GRID = 80     # ... and for each GIF frame (kept in the checkpoint: small)
MAX_FRAMES = 60
WHITE = np.ones(3)


def applies(data):
    """Whether a run gets decision boundaries: classification on samples of exactly 2 features."""
    return data.task == "classification" and tuple(data.input_shape) == (2,)


def raw_points(data, split):
    """A split's samples in the raw input units (the preprocessing undone)."""
    return split.X.astype(np.float64).reshape(len(split), -1) * data.scale + data.shift


def plane_extent(data):
    """(x_low, x_high, y_low, y_high): every sample of every split, with a margin."""
    points = np.concatenate([raw_points(data, s) for s in (data.train, data.val, data.test)])
    low, high = points.min(axis=0), points.max(axis=0)
    pad = MARGIN * np.where(high > low, high - low, 1.0)
    return float(low[0] - pad[0]), float(high[0] + pad[0]), float(low[1] - pad[1]), float(high[1] + pad[1])


def grid_inputs(data, extent, size):
    """A size x size grid over ``extent``, preprocessed as the model's inputs (size², 2): row i of the
    grid is at y = y_low + i · step (the lowest row first), column j at x = x_low + j · step."""
    xs, ys = np.linspace(extent[0], extent[1], size), np.linspace(extent[2], extent[3], size)
    gx, gy = np.meshgrid(xs, ys)
    return data.transform(np.column_stack([gx.ravel(), gy.ravel()]), data.train.X.dtype)


def grid_probabilities(model, data, extent, size):
    """The model's class probabilities (size, size, K) on the grid of :func:`grid_inputs`."""
    return model.predict(grid_inputs(data, extent, size)).reshape(size, size, -1)


def class_colours(k):
    """K distinct RGB colours (matplotlib's tab10, or evenly spaced hues beyond 10 classes)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10"] if k <= 10 else colormaps["hsv"]
    return np.array([cmap(i if k <= 10 else i / k)[:3] for i in range(k)])


def confidence(probabilities):
    """(predicted class, confidence in [0, 1]) per cell: c = (p_max - 1/K) / (1 - 1/K)."""
    k = probabilities.shape[-1]
    return probabilities.argmax(axis=-1), np.clip((probabilities.max(axis=-1) - 1 / k) / (1 - 1 / k), 0, 1)


def region_colours(classes, certainty, k):
    """RGB image of class regions: each cell its class's colour, faded towards white where unsure."""
    strength = (0.15 + 0.45 * certainty)[..., None]  # light: the points stay visible
    return WHITE + strength * (class_colours(k)[classes] - WHITE)


class BoundaryFrames(Callback):
    """Keeps the predicted class and confidence on a FRAME_GRID x FRAME_GRID grid at up to
    MAX_FRAMES evenly spaced epochs (and before the first and after the last), for the GIF.

    The frames are part of the checkpoint (``key``), so a resumed run's GIF shows the whole run;
    evaluating the model changes nothing the training uses (no RNG draw, no parameter).
    """

    key = "decision_boundary"

    def __init__(self, data, size=FRAME_GRID):
        self.data, self.size, self.extent = data, size, plane_extent(data)
        self.epochs, self.classes, self.certainty = [], [], []

    def on_train_begin(self, trainer):
        count = min(MAX_FRAMES, trainer.epochs)
        self.chosen = set(np.round(np.linspace(1, trainer.epochs, count)).astype(int).tolist())
        if not trainer.history:
            self.capture(trainer, 0)

    def on_epoch_end(self, trainer, row):
        epoch = row["epoch"]
        if epoch in self.chosen or trainer.stop_training or epoch >= trainer.epochs:
            self.capture(trainer, epoch)

    def capture(self, trainer, epoch):
        classes, certainty = confidence(grid_probabilities(trainer.model, self.data, self.extent, self.size))
        self.epochs.append(epoch)
        self.classes.append(classes.astype(np.min_scalar_type(len(self.data.classes) - 1)))
        self.certainty.append(np.round(certainty * 255).astype(np.uint8))

    def state_dict(self):
        empty = np.zeros((0, self.size, self.size), np.uint8)  # no frame yet (a run stopped before its first)
        return {"epochs": list(self.epochs), "classes": np.array(self.classes) if self.epochs else empty,
                "certainty": np.array(self.certainty) if self.epochs else empty}

    def load_state_dict(self, state):
        self.epochs = [int(e) for e in state["epochs"]]
        self.classes, self.certainty = list(state["classes"]), list(state["certainty"])


def _axes(fig, data, extent, image, title):
    """One panel: the region image over ``extent``, the training points (circles) and test points
    (triangles, black edge) in their classes' colours, a legend of class names and markers."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ax = fig.add_axes([0.12, 0.13, 0.6, 0.74])
    shown = ax.imshow(image, origin="lower", extent=extent, aspect="auto", interpolation="bilinear")
    colours = class_colours(len(data.classes))
    for split, marker, edge, size in ((data.train, "o", "white", 14), (data.test, "^", "black", 26)):
        if len(split):
            ax.scatter(*raw_points(data, split).T, c=colours[split.Y.argmax(axis=1)], marker=marker, s=size,
                       edgecolors=edge, linewidths=0.5)
    handles = [Patch(color=c, label=str(name)) for c, name in zip(colours, data.classes)]
    handles += [Line2D([], [], ls="", marker="o", color="grey", mec="white", label="training"),
                Line2D([], [], ls="", marker="^", color="grey", mec="black", label="test")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)
    ax.set(xlim=extent[:2], ylim=extent[2:], xlabel="feature 1", ylabel="feature 2")
    ax.set_title(title, fontsize=10)
    return shown


def plot_decision_boundary(model, data, path, title=""):
    """decision_boundary.png: the class regions of ``model`` with the data's points."""
    extent = plane_extent(data)
    classes, certainty = confidence(grid_probabilities(model, data, extent, PNG_GRID))
    fig = figure(figsize=(7, 4.8))
    _axes(fig, data, extent, region_colours(classes, certainty, len(data.classes)), title)
    save(fig, path)


def write_gif(frames, data, history, path, title=""):
    """decision_boundary.gif from :class:`BoundaryFrames`: one frame per kept epoch, titled with its
    losses; the last frame stays longer. Written with Pillow.

    Fast (milliseconds a frame): matplotlib draws the axes, legend and points once on a transparent
    layer; each frame is its region image resized into the axes' box, under that layer.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image, ImageDraw, ImageFont

    fig = figure(figsize=(7, 4.8), dpi=70)
    canvas = FigureCanvasAgg(fig)
    ax = _axes(fig, data, frames.extent, np.zeros((1, 1, 4)), "").axes
    fig.patch.set_alpha(0)
    ax.patch.set_alpha(0)
    canvas.draw()
    layer = Image.fromarray(np.asarray(canvas.buffer_rgba()).copy())
    x0, y0, x1, y1 = np.round(ax.get_window_extent().extents).astype(int)
    box = (x0, layer.height - y1, x1, layer.height - y0)  # Pillow counts rows from the top
    font = ImageFont.load_default(size=13)
    rows, k, pictures = {row["epoch"]: row for row in history}, len(data.classes), []
    for epoch, classes, certainty in zip(frames.epochs, frames.classes, frames.certainty):
        picture = Image.new("RGBA", layer.size, "white")
        regions = np.round(255 * region_colours(classes, certainty / 255.0, k)[::-1]).astype(np.uint8)
        picture.paste(Image.fromarray(regions).resize((box[2] - box[0], box[3] - box[1]), Image.BILINEAR), box)
        picture.alpha_composite(layer)
        row = rows.get(epoch)
        scores = f", loss {row['train_loss']:.3g} (validation {row['val_loss']:.3g})" if row else " (initial weights)"
        ImageDraw.Draw(picture).multiline_text(((x0 + x1) / 2, box[1] - 6), f"{title}\nepoch {epoch}{scores}",
                                               fill="black", font=font, anchor="md", align="center")
        pictures.append(picture.convert("RGB").quantize(64, method=Image.Quantize.FASTOCTREE))
    durations = [150] * (len(pictures) - 1) + [2000]
    files.atomic_write(path, lambda f: pictures[0].save(f, format="GIF", save_all=True, append_images=pictures[1:],
                                                        duration=durations, loop=0), mode="wb")
