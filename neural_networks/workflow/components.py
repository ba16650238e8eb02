"""Every registry by kind, and the component reference rendered from them (``nnrun components``, the README)."""
from ..activations import ACTIVATIONS
from ..augment import AUGMENTS
from ..config.errors import ConfigError
from ..config.validation import closest
from ..datasets import DATASETS
from ..layers import LAYERS
from ..losses import LOSSES
from ..optimizers import OPTIMIZERS
from ..schedulers import SCHEDULERS
from ..weights import WEIGHTS

REGISTRIES = {"layers": LAYERS, "activations": ACTIVATIONS, "losses": LOSSES,
              "weight initializers": WEIGHTS, "optimizers": OPTIMIZERS, "lr schedulers": SCHEDULERS,
              "datasets": DATASETS, "augmentations": AUGMENTS}
# other natural names of a kind, after folding case, separators and a plural s
SYNONYMS = {"initializers": "weight initializers", "weights": "weight initializers", "inits": "weight initializers",
            "schedulers": "lr schedulers", "lr scheduler": "lr schedulers", "data sets": "datasets",
            "data": "datasets", "augment": "augmentations", "transforms": "augmentations"}


def _fold(text):
    """'LR_Schedulers', 'lr-scheduler', 'lr schedulers' -> 'lr scheduler'."""
    words = " ".join(text.lower().replace("_", " ").replace("-", " ").split())
    return words[:-1] if words.endswith("s") else words


def kinds_named(kind=None):
    """The registries a user means by ``kind`` (all for None): any case, singular or plural, with
    underscores, hyphens or spaces, or a common synonym. ConfigError with a did-you-mean otherwise."""
    if not kind:
        return REGISTRIES
    folded = _fold(kind)
    names = {_fold(k): k for k in REGISTRIES}
    names.update({_fold(k): v for k, v in SYNONYMS.items()})
    if folded not in names:
        spelled = [k.replace(" ", "_") for k in REGISTRIES]
        raise ConfigError(f"unknown kind {kind!r}{closest(kind, spelled)}; valid: {', '.join(spelled)}")
    return {names[folded]: REGISTRIES[names[folded]]}


def first_line(cls):
    return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""


def text(kinds=REGISTRIES):
    """Plain text: each kind, then each name with its aliases and ``key=default`` arguments."""
    lines = []
    for title, registry in kinds.items():
        lines.append(f"{title}:")
        for name, args in registry.describe():
            aliases = registry.aliases(name)
            alias_text = f" (alias {', '.join(aliases)})" if aliases else ""
            arg_text = ", ".join(f"{a}={d!r}" if d != "REQUIRED" else f"{a} (required)" for a, d, _ in args)
            lines.append(f"  {name}{alias_text}" + (f": {arg_text}" if arg_text else ""))
    return "\n".join(lines)


def markdown(kinds=REGISTRIES):
    """A markdown table per kind: name, keys with defaults and what they allow, and the docstring's first line."""
    parts = []
    for title, registry in kinds.items():
        rows = [f"**{title}**", "", "| name | keys (default: allowed) | what |", "|---|---|---|"]
        for name, args in registry.describe():
            aliases = registry.aliases(name)
            shown = f"`{name}`" + (f" ({', '.join(f'`{a}`' for a in aliases)})" if aliases else "")
            keys = "<br>".join(f"`{a}` ({'required' if d == 'REQUIRED' else repr(d)}: {allowed})"
                               for a, d, allowed in args) or "—"
            what = first_line(registry[name]).replace("|", "\\|")  # a bare | would end the cell
            rows.append(f"| {shown} | {keys} | {what} |")
        parts.append("\n".join(rows))
    return "\n\n".join(parts) + "\n"
