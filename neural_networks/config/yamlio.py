"""YAML read and written the same way: safe tags only, and ``1e-3`` / ``1e6`` as floats both ways.

PyYAML follows YAML 1.1, which reads ``1e-3`` as a string; nnrun reads it as a float (YAML 1.2),
so the dumper must quote such strings, or a saved config would not read back the same.

Reading is bounded, because a config of a few hundred bytes can otherwise describe a structure that
exhausts memory or the stack: the document may nest at most ``MAX_DEPTH`` levels and hold at most
``MAX_NODES`` values once every alias is expanded (an alias counts as the whole structure it names),
and a key given twice in one mapping is an error instead of the last one winning silently.
"""
import re

import yaml

FLOAT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")
MAX_DEPTH = 64        # the shipped configs nest 5 levels; PyYAML composes recursively (a few frames a level)
MAX_NODES = 100_000   # values after alias expansion; a shipped config has 63-107, a 1000-layer model ~10,000


class SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with exponent-only floats, bounded depth and size, and no duplicate keys."""

    depth = 0

    def compose_node(self, parent, index):
        """Refuse nesting deeper than MAX_DEPTH while composing, before Python's own stack runs out."""
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_document(self, node):
        expanded_size(node)
        return super().construct_document(node)

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key_node.value!r} (first on line {seen[key] + 1})",
                        key_node.start_mark)
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


def expanded_size(root):
    """The number of values and the depth of ``root`` with every alias expanded; a YAMLError past the limits.

    Each node is measured once (memoized), so an alias bomb is measured in linear time, not expanded.
    """
    sizes, open_nodes = {}, set()

    def measure(node):
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_nodes:
            raise yaml.composer.ComposerError(None, None, "an alias refers to a node that contains it",
                                              node.start_mark)
        open_nodes.add(id(node))
        children = node.value if isinstance(node, yaml.SequenceNode) else (
            [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else [])
        size, depth = 1, 1
        for child in children:
            child_size, child_depth = measure(child)
            size, depth = size + child_size, max(depth, child_depth + 1)
        if size > MAX_NODES or depth > MAX_DEPTH:
            limit = (f"over {MAX_NODES:,} values" if size > MAX_NODES else f"nested deeper than {MAX_DEPTH} levels")
            raise yaml.composer.ComposerError(None, None, f"its aliases expand to {limit}", node.start_mark)
        open_nodes.discard(id(node))
        sizes[id(node)] = size, depth
        return size, depth

    return measure(root)


class SafeDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, quoting strings the loader would take for floats."""


for _cls in (SafeLoader, SafeDumper):
    _cls.add_implicit_resolver("tag:yaml.org,2002:float", FLOAT, list("-+0123456789."))


def load(stream):
    return yaml.load(stream, Loader=SafeLoader)


def dump(data):
    return yaml.dump(data, Dumper=SafeDumper, sort_keys=False, default_flow_style=None)
