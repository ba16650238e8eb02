"""Decision boundaries of a classifier on 2 input features: ``decision_boundary.png`` (the final
model's class regions with the training and test points) and ``decision_boundary.gif`` (the regions
epoch by epoch, so the boundary can be watched forming, as in TensorFlow Playground). On more
features (not images), the PNG alone, on the plane of the first two principal components.

The model is evaluated on a fixed grid over the plane of the raw inputs (the data's range plus a
10% margin on each side; raw x = x' · scale + shift undoes the preprocessing), or of the components. Each grid cell is
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
MAX_POINTS = 500    # points drawn per split (the splits are shuffled: the first ones are a random sample)
WHITE = np.ones(3)


def applies(data):
    """Whether a run gets both pictures: classification on samples of exactly 2 features."""
    return data.task == "classification" and tuple(data.input_shape) == (2,)


def applies_in_projection(data, image_shape):
    """Whether a run gets decision_boundary.png on a plane of principal components: classification
    on vectors of more than 2 features that are not images (``image_shape`` None), held in memory (a
    memory-mapped data set, read batch by batch, is too large to project whole)."""
    return (data.task == "classification" and len(data.input_shape) == 1 and data.input_shape[0] > 2
            and image_shape is None and isinstance(data.train.X, np.ndarray))


class Plane:
    """The plane the pictures are drawn on: coordinates (u, v) <-> the model's inputs.

    On 2 features, (u, v) are the raw features themselves (input x' = ((u, v) - shift) / scale).
    On more, the plane through the training inputs' mean m (preprocessed) along their first two
    principal directions v₁, v₂ (the top right-singular vectors of the centred inputs):
    x' = m + u · v₁ + v · v₂, and a sample's coordinates are its projection ((x' - m) · v₁, (x' - m) · v₂).
    """

    PCA_ROWS = 10000  # training samples the principal directions are computed from

    def __init__(self, data):
        self.data, self.mean, self.axes = data, None, None
        if tuple(data.input_shape) != (2,):
            X = data.train.X[:self.PCA_ROWS].astype(np.float64).reshape(min(len(data.train), self.PCA_ROWS), -1)
            self.mean = X.mean(axis=0)
            axes = np.linalg.svd(X - self.mean, full_matrices=False)[2][:2]
            self.axes = axes * np.sign(axes[np.arange(2), np.abs(axes).argmax(axis=1)])[:, None]  # a fixed sign
        self.labels = ("feature 1", "feature 2") if self.axes is None else (
            "principal component 1", "principal component 2")

    def points(self, split):
        """A split's samples as plane coordinates (n, 2)."""
        X = split.X.astype(np.float64).reshape(len(split), int(np.prod(split.X.shape[1:])))  # also when empty
        return X * self.data.scale + self.data.shift if self.axes is None else (X - self.mean) @ self.axes.T

    def inputs(self, coordinates):
        """Plane coordinates (n, 2) as the model's inputs."""
        data = self.data
        if self.axes is None:
            return data.transform(coordinates, data.train.X.dtype)
        X = self.mean + coordinates @ self.axes
        return X.astype(data.train.X.dtype).reshape((len(X),) + tuple(data.input_shape))

    def extent(self):
        """(u_low, u_high, v_low, v_high): every sample of every split, with a margin."""
        data = self.data
        points = np.concatenate([self.points(s) for s in (data.train, data.val, data.test)])
        low, high = points.min(axis=0), points.max(axis=0)
        pad = MARGIN * np.where(high > low, high - low, 1.0)
        return float(low[0] - pad[0]), float(high[0] + pad[0]), float(low[1] - pad[1]), float(high[1] + pad[1])

    def grid(self, extent, size):
        """A size x size grid over ``extent`` as the model's inputs (size², ...): row i of the grid is
        at v = v_low + i · step (the lowest row first), column j at u = u_low + j · step."""
        us, vs = np.linspace(extent[0], extent[1], size), np.linspace(extent[2], extent[3], size)
        gu, gv = np.meshgrid(us, vs)
        return self.inputs(np.column_stack([gu.ravel(), gv.ravel()]))

    def probabilities(self, model, extent, size):
        """The model's class probabilities (size, size, K) on :meth:`grid`."""
        return model.predict(self.grid(extent, size)).reshape(size, size, -1)


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
        self.data, self.size, self.plane = data, size, Plane(data)
        self.extent = self.plane.extent()
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
        classes, certainty = confidence(self.plane.probabilities(trainer.model, self.extent, self.size))
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


def _axes(fig, plane, extent, image, title):
    """One panel: the region image over ``extent``, the training points (circles) and test points
    (triangles, black edge) in their classes' colours, a legend of class names and markers; returns the axes."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    data = plane.data
    ax = fig.add_axes([0.12, 0.13, 0.6, 0.74])
    ax.imshow(image, origin="lower", extent=extent, aspect="auto", interpolation="bilinear")
    colours = class_colours(len(data.classes))
    handles = [Patch(color=c, label=str(name)) for c, name in zip(colours, data.classes)]
    for split, name, marker, edge, size in ((data.train, "training", "o", "white", 14),
                                            (data.test, "test", "^", "black", 26)):
        shown = plane.points(split)[:MAX_POINTS]
        ax.scatter(*shown.T, c=colours[split.Y[:MAX_POINTS].argmax(axis=1)], marker=marker, s=size,
                   edgecolors=edge, linewidths=0.5)
        label = name if len(shown) == len(split) else f"{name} ({len(shown)} of {len(split)})"
        handles.append(Line2D([], [], ls="", marker=marker, color="grey", mec=edge, label=label))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)
    ax.set(xlim=extent[:2], ylim=extent[2:], xlabel=plane.labels[0], ylabel=plane.labels[1])
    ax.set_title(title, fontsize=10)
    return ax


def plot_decision_boundary(model, data, path, title=""):
    """decision_boundary.png: the class regions of ``model`` with the data's points; on more than
    2 features, on the plane of the first two principal components (points projected onto it)."""
    plane = Plane(data)
    extent = plane.extent()
    classes, certainty = confidence(plane.probabilities(model, extent, PNG_GRID))
    fig = figure(figsize=(7, 4.8))
    if plane.axes is not None:
        title += "\non the plane of the first two principal components through the data mean"
    _axes(fig, plane, extent, region_colours(classes, certainty, len(data.classes)), title)
    save(fig, path)


def frame_title(epoch, rows):
    """"epoch 12, loss 0.31 (validation 0.35)" from the epoch's metrics row (``rows`` by epoch)."""
    row = rows.get(epoch)
    if row is None:
        return f"epoch {epoch} (initial weights)"
    validation = f" (validation {row['val_loss']:.3g})" if np.isfinite(row["val_loss"]) else ""
    return f"epoch {epoch}, loss {row['train_loss']:.3g}{validation}"


def write_gif(frames, history, path, title=""):
    """decision_boundary.gif from :class:`BoundaryFrames`: one frame per kept epoch, titled with its
    losses; the last frame stays longer. Written with Pillow.

    Fast (milliseconds a frame): matplotlib draws the axes, legend and points once on a transparent
    layer; each frame is its region image resized into the axes' box, under that layer.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image, ImageDraw, ImageFont

    fig = figure(figsize=(7, 4.8), dpi=70)
    canvas = FigureCanvasAgg(fig)
    ax = _axes(fig, frames.plane, frames.extent, np.zeros((1, 1, 4)), "")
    fig.patch.set_alpha(0)
    ax.patch.set_alpha(0)
    canvas.draw()
    layer = Image.fromarray(np.asarray(canvas.buffer_rgba()).copy())
    x0, y0, x1, y1 = np.round(ax.get_window_extent().extents).astype(int)
    box = (x0, layer.height - y1, x1, layer.height - y0)  # Pillow counts rows from the top
    font = ImageFont.load_default(size=13)
    rows, k, pictures = {row["epoch"]: row for row in history}, len(frames.data.classes), []
    for epoch, classes, certainty in zip(frames.epochs, frames.classes, frames.certainty):
        picture = Image.new("RGBA", layer.size, "white")
        regions = np.round(255 * region_colours(classes, certainty / 255.0, k)[::-1]).astype(np.uint8)
        picture.paste(Image.fromarray(regions).resize((box[2] - box[0], box[3] - box[1]), Image.BILINEAR), box)
        picture.alpha_composite(layer)
        ImageDraw.Draw(picture).multiline_text(((x0 + x1) / 2, box[1] - 6), f"{title}\n{frame_title(epoch, rows)}",
                                               fill="black", font=font, anchor="md", align="center")
        pictures.append(picture.convert("RGB").quantize(64, method=Image.Quantize.FASTOCTREE))
    durations = [150] * (len(pictures) - 1) + [2000]
    files.atomic_write(path, lambda f: pictures[0].save(f, format="GIF", save_all=True, append_images=pictures[1:],
                                                        duration=durations, loop=0), mode="wb")
