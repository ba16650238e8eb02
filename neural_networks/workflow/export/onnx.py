"""A finished run as an ONNX model (opset 17): raw features in, class probabilities (or the
regression outputs) out, as ``nnrun predict`` computes them.

The graph starts with the run's preprocessing, X' = (X - shift) / scale, and a Reshape to the
channels-last sample shape; then one exporter per layer, looked up by the layer's registered name
in :data:`LAYERS` (a new layer is one function there), followed by the layer's activation, looked
up in :data:`ACTIVATIONS`. nnrun's layers are channels last; ONNX's Conv and pooling are channels
first, so those exporters wrap their operator in a pair of Transposes.
"""
import math

import numpy as np

from ...config.errors import ConfigError
from ...layers import ActivationLayer
from ...layers.windows import Windows, per_axis

OPSET = 17
IR_VERSION = 8  # the IR that introduced opset 17: readable by every runtime that runs the opset


class Graph:
    """The nodes and constants of the graph being built; each helper returns its output's name."""

    def __init__(self):
        from onnx import helper

        self.helper, self.nodes, self.initializers, self.count = helper, [], [], 0

    def fresh(self, stem):
        self.count += 1
        return f"{stem}_{self.count}"

    def const(self, array, stem="c", dtype=np.float32):
        from onnx import numpy_helper

        name = self.fresh(stem)
        self.initializers.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), name))
        return name

    def ints(self, values, stem="shape"):
        return self.const(values, stem, np.int64)

    def op(self, op_type, *inputs, **attributes):
        output = self.fresh(op_type.lower())
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [output], **attributes))
        return output


# --- activations: f(x) for the activation object ``act`` ---

def _gelu(g, x, act):
    """0.5 z (1 + tanh(C (u + 0.044715 u^3))), u = clip(z, -10, 10): nnrun's tanh approximation."""
    u = g.op("Clip", x, g.const(-10.0), g.const(10.0))
    inner = g.op("Add", u, g.op("Mul", g.const(0.044715), g.op("Mul", u, g.op("Mul", u, u))))
    t = g.op("Tanh", g.op("Mul", g.const(math.sqrt(2 / math.pi)), inner))
    return g.op("Mul", g.op("Mul", g.const(0.5), x), g.op("Add", g.const(1.0), t))


ACTIVATIONS = {
    "linear": lambda g, x, act: x,
    "relu": lambda g, x, act: g.op("Relu", x),
    "leaky_relu": lambda g, x, act: g.op("LeakyRelu", x, alpha=float(act.alpha)),
    "elu": lambda g, x, act: g.op("Elu", x, alpha=float(act.alpha)),
    "sigmoid": lambda g, x, act: g.op("Sigmoid", x),
    "tanh": lambda g, x, act: g.op("Tanh", x),
    "gelu": _gelu,
    "softmax": lambda g, x, act: g.op("Softmax", x, axis=-1),
}


def activation(g, x, act):
    if act.name not in ACTIVATIONS:
        raise ConfigError(f"the ONNX export has no form for the activation {act.name!r}; "
                          f"it covers {', '.join(sorted(ACTIVATIONS))}")
    return ACTIVATIONS[act.name](g, x, act)


# --- layers: (graph, input name, layer, one sample's input shape) -> output name, before the activation ---

def channels_first(g, x, ndim):
    """(N, *spatial, C) -> (N, C, *spatial)."""
    return g.op("Transpose", x, perm=[0, ndim + 1, *range(1, ndim + 1)])


def channels_last(g, x, ndim):
    """(N, C, *spatial) -> (N, *spatial, C)."""
    return g.op("Transpose", x, perm=[0, *range(2, ndim + 2), 1])


def onnx_pads(layer, shape, dilation=1):
    """nnrun's (before, after) zeros per spatial axis as ONNX's [begins..., ends...]; also the strides."""
    windows = Windows(shape[:-1], layer.kernel, layer.stride, dilation, layer.pad)
    return [b for b, _ in windows.pads] + [a for _, a in windows.pads], list(windows.stride)


def _dense(g, x, layer, shape):
    """X W + b over the last axis (MatMul broadcasts over any leading axes)."""
    return g.op("Add", g.op("MatMul", x, g.const(layer.parameters["W"], "W")), g.const(layer.parameters["b"], "b"))


def _conv(g, x, layer, shape):
    """nnrun's W (*kernel, C_in, C_out) is ONNX's (C_out, C_in, *kernel); both cross-correlate."""
    ndim = len(layer.kernel)
    pads, strides = onnx_pads(layer, shape, layer.dilation)
    W = np.transpose(layer.parameters["W"], (ndim + 1, ndim, *range(ndim)))
    y = g.op("Conv", channels_first(g, x, ndim), g.const(W, "W"), g.const(layer.parameters["b"].ravel(), "b"),
             kernel_shape=list(layer.kernel), strides=strides, pads=pads, dilations=list(layer.dilation))
    return channels_last(g, y, ndim)


def _pool(g, x, layer, shape):
    """MaxPool (padding never wins), or AveragePool counting the zero padding in the mean, as nnrun does."""
    ndim = layer.ndim
    pads, strides = onnx_pads(layer, shape)
    kernel = list(per_axis(layer.kernel, ndim))
    if layer.mode == "max":
        y = g.op("MaxPool", channels_first(g, x, ndim), kernel_shape=kernel, strides=strides, pads=pads)
    else:
        y = g.op("AveragePool", channels_first(g, x, ndim), kernel_shape=kernel, strides=strides, pads=pads,
                 count_include_pad=1)
    return channels_last(g, y, ndim)


def _global_average_pool(g, x, layer, shape):
    return g.op("ReduceMean", x, axes=list(range(1, len(shape))), keepdims=0)


def _flatten(g, x, layer, shape):
    return g.op("Flatten", x, axis=1)  # row-major, as numpy's reshape


def _batchnorm(g, x, layer, shape):
    """Inference: (X - running_mean) / sqrt(running_var + epsilon) gamma + beta, per last-axis feature."""
    mean, var = (layer.buffers[k].ravel() for k in ("running_mean", "running_var"))
    inv_std = 1 / np.sqrt(var + var.dtype.type(layer.epsilon))
    x_hat = g.op("Mul", g.op("Sub", x, g.const(mean, "mean")), g.const(inv_std, "inv_std"))
    return g.op("Add", g.op("Mul", x_hat, g.const(layer.parameters["gamma"].ravel(), "gamma")),
                g.const(layer.parameters["beta"].ravel(), "beta"))


def _elman(g, x, layer, shape):
    """Unrolled over the (fixed) time steps: a_t = x_t W_x + b + h_{t-1} W_h, h_t = f(a_t), h_0 = 0."""
    A = g.op("Add", g.op("MatMul", x, g.const(layer.parameters["W_x"], "W_x")), g.const(layer.parameters["b"], "b"))
    W_h = g.const(layer.parameters["W_h"], "W_h")
    h, steps = None, []
    for t in range(shape[0]):
        a = g.op("Gather", A, g.ints(t, "t"), axis=1)
        h = activation(g, a if h is None else g.op("Add", a, g.op("MatMul", h, W_h)), layer.cell)
        steps.append(h)
    if not layer.return_sequences:
        return h
    return g.op("Concat", *[g.op("Unsqueeze", s, g.ints([1], "axis")) for s in steps], axis=1)


LAYERS = {
    "fully_connected": _dense,
    "conv1d": _conv,
    "conv2d": _conv,
    "pool1d": _pool,
    "pool2d": _pool,
    "global_average_pool": _global_average_pool,
    "flatten": _flatten,
    "batchnorm": _batchnorm,
    "dropout": lambda g, x, layer, shape: x,  # identity at inference
    "elman": _elman,
}


def layer_shapes(model, input_shape, dtype):
    """One sample's input shape at every layer (a forward pass of one zero sample)."""
    X, shapes = np.zeros((1,) + tuple(input_shape), dtype=dtype), []
    for layer in model.layers:
        shapes.append(X.shape[1:])
        X = layer.forward(X, training=False)
    return shapes


def build_model(model, data, name="nnrun"):
    """The ONNX ModelProto of ``model`` with ``data``'s preprocessing folded in front."""
    from onnx import TensorProto, checker, helper

    for i, layer in enumerate(model.layers):
        if not isinstance(layer, ActivationLayer) and layer.name not in LAYERS:
            raise ConfigError(f"the ONNX export has no form for layer {i} ({layer.name}); "
                              f"it covers {', '.join(sorted(LAYERS))} and every activation", "model.layers")
    g = Graph()
    n_features = int(np.prod(data.input_shape))
    x = g.op("Div", g.op("Sub", "features", g.const(data.shift, "shift")), g.const(data.scale, "scale"))
    x = g.op("Reshape", x, g.ints([-1, *data.input_shape]))
    params = model.layers[0].parameters if model.layers else {}
    dtype = next(iter(params.values())).dtype if params else np.float32
    for layer, shape in zip(model.layers, layer_shapes(model, data.input_shape, dtype)):
        if not isinstance(layer, ActivationLayer):
            x = LAYERS[layer.name](g, x, layer, shape)
        x = activation(g, x, layer.activation)
    out_name = "probabilities" if data.task == "classification" else "outputs"
    g.nodes.append(helper.make_node("Identity", [x], [out_name]))
    n_out = data.n_outputs
    graph = helper.make_graph(
        g.nodes, name, [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", n_features])],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["batch", n_out])], g.initializers)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="nnrun",
                                   doc_string=f"{name}: raw features in, {out_name} out")
    onnx_model.ir_version = IR_VERSION
    if data.task == "classification":
        helper.set_model_props(onnx_model, {"classes": ",".join(map(str, data.classes))})
    checker.check_model(onnx_model, full_check=True)
    return onnx_model


def export(run_dir, output):
    """Write the run's best model to ``output`` (a .onnx file); return the path."""
    from ..files import atomic_write
    from ..loading import load_run

    config, data, model = load_run(run_dir)
    serialized = build_model(model, data, config["name"]).SerializeToString()
    atomic_write(output, lambda f: f.write(serialized), mode="wb")
    return output
