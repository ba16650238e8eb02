"""The config's JSON Schema (draft 2020-12), generated from the config schema and the registries, so
that editors complete and check nnrun configs (``nnrun schema -o configs/nnrun.schema.json``).

Every key carries its type, bounds (from ``Interval``), choices (from ``Literal``), default and a
one-line description. A component (a ``Spec``) refers to its kind's definition, a ``oneOf`` over the
registered names: a ``{name: ..., keys}`` object per name with its own keys and nothing else, or the
bare name (aliases too) where the component needs no keys.
"""
import json
import os
import typing

from ..config.errors import ConfigError
from ..config.schema import DataSection, run_config
from ..config.validation import Interval, Section, Spec, arguments, describe
from ..data import data_settings
from ..datasets import DATASETS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
TITLE = "nnrun config"
PLAIN = {int: "integer", float: "number", str: "string", bool: "boolean", dict: "object"}


def definition_name(registry):
    return registry.kind.replace(" ", "_")


def bounds(interval):
    """JSON Schema keywords of an :class:`Interval`."""
    found = {}
    if interval.low is not None:
        found["exclusiveMinimum" if interval.open_low else "minimum"] = interval.low
    if interval.high is not None:
        found["exclusiveMaximum" if interval.open_high else "maximum"] = interval.high
    return found


def of(annotation, registries):
    """The JSON Schema of what ``annotation`` accepts; ``registries`` collects the kinds it refers to."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        schema = of(args[0], registries)
        for bound in args[1:]:
            if isinstance(bound, Interval):
                schema.update(bounds(bound))
        return schema
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin is typing.Union:
        options = [of(a, registries) for a in args if a is not type(None)]
        if type(None) in args:
            options.append({"type": "null"})
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin in (tuple, list):
        if origin is tuple and args and Ellipsis not in args:
            return {"type": "array", "prefixItems": [of(a, registries) for a in args], "items": False,
                    "minItems": len(args)}
        return {"type": "array", **({"items": of(args[0], registries)} if args else {})}
    if isinstance(annotation, Spec):
        registries[definition_name(annotation.registry)] = annotation.registry
        return {"anyOf": [{"$ref": f"#/$defs/{definition_name(annotation.registry)}"}, {"type": "null"}]}
    if isinstance(annotation, Section):
        schema = keys_of(annotation.schema, registries)
        return {"anyOf": [schema, {"type": "null"}]} if annotation.optional else schema
    if isinstance(annotation, DataSection):
        return data_schema(registries)
    return {"type": PLAIN[annotation]} if annotation in PLAIN else {}


def plain(value):
    """A default as JSON (tuples as lists)."""
    return json.loads(json.dumps(value, default=list))


def properties(factory, registries):
    """({key: schema with description and default}, [required keys]) of a constructor or settings function."""
    found, required = {}, []
    for p in arguments(factory):
        annotation = p.annotation if p.annotation is not p.empty else typing.Any
        schema = {**of(annotation, registries), "description": describe(annotation) if
                  annotation is not typing.Any else "any value"}
        if p.default is p.empty:
            required.append(p.name)
        else:
            schema["default"] = plain(p.default)
        found[p.name] = schema
    return found, required


def keys_of(factory, registries, extra=None):
    """A closed object of ``factory``'s keys (plus ``extra`` properties), described by its docstring."""
    found, required = properties(factory, registries)
    schema = {"type": "object", "properties": {**(extra or {}), **found}, "additionalProperties": False}
    if required:
        schema["required"] = required
    doc = " ".join((factory.__doc__ or "").strip().split("\n\n")[0].split())  # the first paragraph, one line
    if doc:
        schema["description"] = doc
    return schema


def component_schema(registry, registries, shared=None):
    """``oneOf``: the bare names of components without required keys, then one object per name."""
    options, bare = [], []
    for name in registry.names():
        names = [name, *registry.aliases(name)]
        schema = keys_of(registry[name], registries, {"name": {"enum": names} if len(names) > 1 else {"const": name}})
        if shared:
            schema["properties"].update(shared)
        schema["required"] = ["name", *schema.get("required", [])]
        if schema["required"] == ["name"]:
            bare += names
        options.append(schema)
    if bare:
        options.insert(0, {"type": "string", "enum": bare, "description": f"a {registry.kind} by name"})
    return {"oneOf": options}


def data_schema(registries):
    """``data``: a dataset's own keys and the keys every dataset shares (split, batch size, ...)."""
    shared, _ = properties(data_settings, registries)
    schema = component_schema(DATASETS, registries, shared)
    schema["oneOf"] = [option for option in schema["oneOf"] if option.get("type") == "object"]  # needs a mapping
    return schema


def generate():
    """The whole schema as a dict: the config's sections, and a definition per component kind."""
    registries = {}
    root = keys_of(run_config, registries)
    definitions, done = {}, set()
    while set(registries) - done:  # a component's keys may name components of other kinds
        kind = sorted(set(registries) - done)[0]
        definitions[kind] = component_schema(registries[kind], registries)
        done.add(kind)
    return {"$schema": DIALECT, "title": TITLE, **root, "$defs": dict(sorted(definitions.items()))}


def text():
    """The schema as the JSON text that ``nnrun schema`` prints and configs/nnrun.schema.json holds."""
    return json.dumps(generate(), indent=2) + "\n"


def write(path):
    """Write the schema to ``path``; a file there that is not an nnrun schema is never replaced."""
    from .files import atomic_write

    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as f:
                ours = json.load(f).get("title") == TITLE
        except (OSError, ValueError, AttributeError):
            ours = False
        if not ours:
            raise ConfigError(f"{path} exists and is not an nnrun schema: give another -o", "-o")
    schema = text()
    atomic_write(path, lambda f: f.write(schema))
    return path
