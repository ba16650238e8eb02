"""``weights.png`` for image inputs: what the first layer looks for, drawn as images.

- A first ``conv2d`` layer: each filter W[:, :, :, j] (kernel_rows, kernel_cols, channels) as a tile;
  then its feature maps (the layer's output, activation applied) on one test image.
- A first ``fully_connected`` layer on flattened images: each unit's weight column W[:, j] reshaped to
  the image shape (rows, cols, channels): the template the unit matches, as in the course.

One diverging colour map (red > 0, blue < 0) centred at 0 with one scale for all tiles of a panel,
so tiles compare: white is a weight of 0. Colour images (3 channels) show as RGB, 0.5 + W / (2 max|W|).
"""
import numpy as np

from .plots import figure, save

MAX_TILES = 64
CMAP = "RdBu_r"


def first_layer(model):
    """(index, layer) of the first layer with weights, or (None, None)."""
    return next(((i, layer) for i, layer in enumerate(model.layers) if "W" in layer.parameters), (None, None))


def weight_tiles(layer, shape):
    """The first layer's weights as images (n, rows, cols, channels), or None when they are not
    images of ``shape`` (a conv2d's filters always are; a dense layer's columns when they fit)."""
    W = layer.parameters["W"]
    if W.ndim == 4:                                  # conv2d: (kernel_rows, kernel_cols, in, out)
        return np.moveaxis(W, 3, 0)
    if W.ndim == 2 and W.shape[0] == int(np.prod(shape)):
        return W.T.reshape((W.shape[1],) + tuple(shape))
    return None


def layer_output(model, index, X):
    """The output of layers 0..``index`` (inference mode) for the samples ``X``."""
    for layer in model.layers[:index + 1]:
        X = layer.forward(X, training=False)
    return X


def columns_for(count):
    """Tiles per row: 8 for up to 32 tiles (bigger tiles), else 16."""
    return min(count, 8 if count <= 32 else 16)


def _grid(fig, area, tiles, title):
    """Tiles (n, rows, cols, channels) in rows of :func:`columns_for` inside the figure fraction ``area``
    (left, bottom, width, height), one scale: diverging centred at 0 when there are negative values
    (weights), sequential from 0 otherwise (ReLU outputs). Returns the last image drawn (for a colour bar)."""
    columns = columns_for(len(tiles))
    rows = -(-len(tiles) // columns)
    left, bottom, width, height = area
    signed = tiles.min() < 0
    limit = max(float(np.abs(tiles).max()), 1e-12)
    style = dict(cmap=CMAP, vmin=-limit, vmax=limit) if signed else dict(cmap="viridis", vmin=0, vmax=limit)
    shown = None
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        ax = fig.add_axes([left + c * width / columns, bottom + (rows - 1 - r) * height / rows,
                           width / columns * 0.92, height / rows * 0.92])
        ax.set_axis_off()
        if tile.shape[2] == 3:
            ax.imshow(np.clip(0.5 + tile / (2 * limit), 0, 1))
        else:
            shown = ax.imshow(tile.mean(axis=2), interpolation="nearest", **style)
    fig.text(left, bottom + height + 0.1 / fig.get_figheight(), title, fontsize=10, va="bottom")
    return shown


def plot_weights(model, data, shape, path, title=""):
    """Write weights.png for a model on images of ``shape``; False (nothing written) when the first
    layer with weights does not see the images (e.g. a conv1d or recurrent layer)."""
    index, layer = first_layer(model)
    tiles = weight_tiles(layer, shape) if layer is not None else None
    if tiles is None:
        return False
    conv = tiles.shape[1:3] != tuple(shape[:2])
    total, tiles = len(tiles), tiles[:MAX_TILES]
    more = f" (the first {MAX_TILES} of {total})" if total > MAX_TILES else ""
    panels = [(tiles, f"{'filters' if conv else 'weight columns'} of layer {index}{more}: red > 0, blue < 0", None)]
    if conv and len(data.test):
        image = data.test.X[0].reshape(shape)
        maps = np.moveaxis(layer_output(model, index, image[None])[0], 2, 0)[:MAX_TILES, ..., None]
        label = data.classes[int(data.test.Y[0].argmax())] if data.task == "classification" else "a test sample"
        panels.append((maps, f"their outputs (feature maps) for the test image at the left (class {label})", image))
    width, left, right = 9.0, 1.0, 0.8  # inches: the figure, the margin for the sample image, the colour bar
    sizes = [(width - left - right) / columns_for(len(images)) for images, _, _ in panels]  # a square tile
    heights = [size * -(-len(images) // columns_for(len(images))) for size, (images, _, _) in zip(sizes, panels)]
    fig = figure(figsize=(width, sum(heights) + 0.6 * len(panels) + 0.4))
    inch_x, inch_y = 1 / width, 1 / fig.get_figheight()
    top = 1 - 0.45 * inch_y
    for (images, label, image), size, height in zip(panels, sizes, heights):
        bottom = top - 0.35 * inch_y - height * inch_y
        if image is not None:  # the sample itself, in grey, beside its maps
            ax = fig.add_axes([0.1 * inch_x, bottom + (height - 0.8) * inch_y, 0.8 * inch_x, 0.8 * inch_y])
            ax.imshow(image.mean(axis=2) if image.shape[2] != 3 else image, cmap="gray")
            ax.set_axis_off()
        shown = _grid(fig, (left * inch_x, bottom, (width - left - right) * inch_x, height * inch_y), images, label)
        if shown is not None:
            fig.colorbar(shown, cax=fig.add_axes([(width - right + 0.15) * inch_x, bottom, 0.15 * inch_x,
                                                  height * inch_y]))
        top = bottom - 0.25 * inch_y
    fig.suptitle(title, y=1 - 0.05 * inch_y, va="top")
    save(fig, path)
    return True
