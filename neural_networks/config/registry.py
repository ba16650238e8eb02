"""One registry mechanism for every kind of component (layers, activations, losses, ...).

A component is a class plus ``@REGISTRY.register("name")``. Its constructor's signature
is the schema of its config keys: the registry checks unknown keys and the annotated
types/bounds before building, so the config validator, ``nnrun components`` and the
registry-driven tests all pick a new component up without further code.
"""
import functools
import inspect

from .errors import ConfigError, shown
from .validation import arguments, check_arguments, closest, describe


def recording_config(cls, name):
    """``cls.__init__``, wrapped to store the arguments a component was made with (defaults filled
    in) as ``component.config``: ``{"name": name, **arguments}``, which rebuilds an equal component."""
    init, signature = cls.__init__, inspect.signature(cls)

    @functools.wraps(init)
    def __init__(component, *args, **kwargs):
        if type(component) is cls:  # the class made, not a registered parent it calls up to
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            component.config = {"name": name, **bound.arguments}
        init(component, *args, **kwargs)
    return __init__


class Registry:
    """Names -> component classes of one kind, with validated construction."""

    def __init__(self, kind):
        self.kind = kind
        self._classes = {}
        self._aliases = {}

    def register(self, name, *aliases):
        """Class decorator: make the class buildable by ``name`` (and its aliases), and give every
        instance a ``config`` however it is made (``FullyConnected(n_out=3)`` as well as ``build``)."""
        def decorate(cls):
            if name in self._classes or name in self._aliases:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._classes[name] = cls
            self._aliases.update({alias: name for alias in aliases})
            cls.name = name
            cls.__init__ = recording_config(cls, name)
            return cls
        return decorate

    def canonical(self, name):
        """The registered name for ``name`` or one of its aliases; ConfigError naming the choices."""
        if not isinstance(name, str):
            raise ConfigError(f"{shown(name)} is not a {self.kind} name; valid: {', '.join(self.names())}")
        name = self._aliases.get(name, name)
        if name not in self._classes:
            raise ConfigError(f"unknown {self.kind} {shown(name)}{closest(name, [*self._classes, *self._aliases])}; "
                              f"valid: {', '.join(self.names())}")
        return name

    def __contains__(self, name):
        return name in self._classes or name in self._aliases

    def __getitem__(self, name):
        return self._classes[self.canonical(name)]

    def names(self):
        return sorted(self._classes)

    def split(self, spec):
        """``"relu"`` or ``{"name": "relu", **kwargs}`` -> ("relu", kwargs)."""
        if isinstance(spec, str):
            return spec, {}
        if isinstance(spec, dict) and "name" in spec:
            kwargs = dict(spec)
            return kwargs.pop("name"), kwargs
        raise ConfigError(f"{shown(spec)} is not a name or a mapping with a 'name' key; "
                          f"valid {self.kind} names: {', '.join(self.names())}")

    def resolve(self, spec):
        """The full config of a component: canonical name plus every argument, defaults filled in."""
        name, kwargs = self.split(spec)
        try:
            name = self.canonical(name)
        except ConfigError as error:
            raise error.within("name") from None
        return {"name": name, **check_arguments(self._classes[name], kwargs, f"{self.kind} {name!r}")}

    def build(self, spec=None, **kwargs):
        """Construct from a spec (name or mapping) and/or keyword arguments."""
        if spec is None:
            spec = kwargs.pop("name", None)
        name, spec_kwargs = self.split(spec)
        config = self.resolve({"name": name, **spec_kwargs, **kwargs})
        component = self._classes[config["name"]](**{k: v for k, v in config.items() if k != "name"})
        component.config = config  # what get_config() returns: rebuilds an equal component
        return component

    def describe(self):
        """``[(name, [(argument, default or REQUIRED, what it allows), ...]), ...]`` for help texts."""
        rows = []
        for name in self.names():
            args = [(p.name, "REQUIRED" if p.default is p.empty else p.default,
                     describe(p.annotation) if p.annotation is not p.empty else "any")
                    for p in arguments(self._classes[name])]
            rows.append((name, args))
        return rows

    def aliases(self, name):
        return sorted(a for a, target in self._aliases.items() if target == name)
