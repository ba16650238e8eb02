"""Declarative checks of config values against a constructor's type annotations.

A component declares what it accepts where the argument lives, e.g.
``n_out: Annotated[int, Interval(1, None)]`` or ``mode: Literal["max", "average"]``;
:func:`check_value` enforces it and raises :class:`ConfigError` saying what is allowed.
"""
import difflib
import inspect
import math
import numbers
import typing
from dataclasses import dataclass

from .errors import ConfigError, shown
from .yamlio import FLOAT

@dataclass(frozen=True)
class Interval:
    """Numeric bounds: ``low <= x <= high`` (``<`` where the side is open); None is unbounded."""

    low: float = None
    high: float = None
    open_low: bool = False
    open_high: bool = False

    def __contains__(self, x):
        above = self.low is None or (x > self.low if self.open_low else x >= self.low)
        below = self.high is None or (x < self.high if self.open_high else x <= self.high)
        return above and below

    def __str__(self):
        low = "(-inf" if self.low is None else ("(" if self.open_low else "[") + f"{self.low:g}"
        high = "inf)" if self.high is None else f"{self.high:g}" + (")" if self.open_high else "]")
        return f"{low}, {high}"


PositiveInt = typing.Annotated[int, Interval(1, None)]
NonNegativeInt = typing.Annotated[int, Interval(0, None)]
PositiveFloat = typing.Annotated[float, Interval(0, None, open_low=True)]
NonNegativeFloat = typing.Annotated[float, Interval(0, None)]
Fraction = typing.Annotated[float, Interval(0, 1, open_high=True)]


class Spec:
    """Marks an argument that names another component: ``relu`` or ``{name: leaky_relu, alpha: 0.1}``.

    None is allowed and means the component's default. The value is resolved by ``registry``
    (canonical name, defaults filled in): a bare name when the component takes no arguments,
    unless ``mapping`` asks for ``{name: ...}`` always (as for the items of ``model.layers``).
    """

    def __init__(self, registry, mapping=False):
        self.registry = registry
        self.kind = registry.kind
        self.mapping = mapping

    def __str__(self):
        article = "an" if self.kind[0] in "aeiou" else "a"
        return f"{article} {self.kind} name or {{name: ..., ...}}"

    def check(self, value, key):
        if value is None:
            return None
        try:
            resolved = self.registry.resolve(value)
        except ConfigError as error:
            raise error.within(key) from None
        return resolved if len(resolved) > 1 or self.mapping else resolved["name"]


class Section:
    """Marks a nested mapping whose keys are the parameters of ``schema`` (a function or class);
    ``optional`` sections may be null (switched off)."""

    def __init__(self, schema, optional=False):
        self.schema, self.optional = schema, optional

    def __str__(self):
        keys = "a mapping of " + ", ".join(p.name for p in arguments(self.schema))
        return keys + " or null" if self.optional else keys

    def check(self, value, key):
        if value is None and self.optional:
            return None
        if not isinstance(value, dict):
            raise ConfigError(f"{shown(value)} is not {self}", key)
        try:
            return check_arguments(self.schema, value, key)
        except ConfigError as error:
            raise error.within(key) from None


def check_range(low, high, key="low"):
    """A ``(low, high)`` pair of arguments (a distribution's support, say): ``low < high``, finitely apart."""
    if not low < high or not math.isfinite(high - low):
        raise ConfigError(f"low ({low:g}) and high ({high:g}) must satisfy low < high, finitely apart", key)


def arguments(factory):
    """The keyword parameters of a class's constructor (or a function), in order, without ``self``."""
    target = factory.__init__ if inspect.isclass(factory) else factory
    return [p for p in inspect.signature(target).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def check_arguments(factory, kwargs, what):
    """Validate ``kwargs`` against ``factory``'s signature; return them with defaults filled in."""
    if not isinstance(kwargs, dict):
        raise ConfigError(f"{shown(kwargs)} is not a mapping")
    params = {p.name: p for p in arguments(factory)}
    for key in kwargs:
        if key not in params:
            raise ConfigError(f"unknown key for {what}{closest(key, params)}; "
                              f"allowed: {', '.join(params) or 'none'}", str(key))
    resolved = {}
    for name, p in params.items():
        annotation = p.annotation if p.annotation is not p.empty else None
        if name in kwargs:
            resolved[name] = check_value(kwargs[name], annotation, name)
        elif p.default is p.empty:
            raise ConfigError(f"missing required key for {what}", name)
        else:  # defaults pass through the same check, so nested sections get theirs filled in
            resolved[name] = check_value(p.default, annotation, name)
    return resolved


def closest(value, choices):
    """A ' (did you mean X?)' hint for a misspelled name, or ''."""
    if not isinstance(value, (str, int, float)):
        return ""
    match = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def describe(annotation):
    """A short human name for what an annotation allows, for error messages and `nnrun components`."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return f"{describe(args[0])} in " + " and ".join(str(a) for a in args[1:])
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin is typing.Union:
        return " or ".join(describe(a) for a in args if a is not type(None)) + (
            " or null" if type(None) in args else "")
    if origin in (tuple, list):
        return f"a list of {describe(args[0])}" if args else "a list"
    if hasattr(annotation, "check"):
        return str(annotation)
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false",
            dict: "a mapping"}.get(annotation, getattr(annotation, "__name__", str(annotation)))


def check_value(value, annotation, key):
    """Return ``value`` (ints widened to float where a float is wanted) or raise ConfigError."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    def fail():  # built only when raised: describing a value can be costly
        return ConfigError(f"{shown(value)} is not {describe(annotation)}", key)

    if annotation is typing.Any or annotation is None:
        return value
    if origin is typing.Annotated:
        value = check_value(value, args[0], key)
        for bound in args[1:]:
            if isinstance(bound, Interval) and value not in bound:
                raise fail()
        return value
    if origin is typing.Literal:
        if any(type(value) is type(a) and value == a for a in args):
            return value
        raise ConfigError(f"{shown(value)} is not {describe(annotation)}{closest(value, args)}", key)
    if origin is typing.Union:
        if value is None and type(None) in args:
            return None
        for option in args:
            if option is type(None):
                continue
            try:
                return check_value(value, option, key)
            except ConfigError:
                pass
        raise fail()
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise fail()
        fixed = origin is tuple and Ellipsis not in args
        if fixed and len(args) != len(value):
            raise ConfigError(f"{shown(value)} is not a list of {len(args)} values", key)
        item_types = list(args) if fixed else [args[0] if args else typing.Any] * len(value)
        return [check_value(v, t, f"{key}.{i}") for i, (v, t) in enumerate(zip(value, item_types))]
    if hasattr(annotation, "check"):  # Spec, Section
        return annotation.check(value, key)
    if annotation is bool:
        if isinstance(value, bool):
            return value
        raise fail()
    if annotation is int:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        raise fail()
    if annotation is float:
        if isinstance(value, str) and FLOAT.match(value.strip()):  # YAML 1.1 reads 1e-3 as a string
            value = float(value)
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:  # an int beyond float's range, such as 10**400
                number = math.inf
            if not math.isfinite(number):
                raise ConfigError(f"{shown(value)} is not a finite number", key)
            return number
        raise fail()
    if isinstance(annotation, type):
        if isinstance(value, annotation) and not (annotation is not bool and isinstance(value, bool)):
            return value
        raise fail()
    return value
