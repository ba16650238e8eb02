"""The component reference, rendered from the registries (``nnrun components``, the README)."""
from .registries import REGISTRIES


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
