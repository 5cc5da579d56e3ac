"""YAML read safely and within bounds: ``yaml.SafeLoader`` only, and a document that is too
long, nested too deeply, refers to itself or expands through anchors and aliases into too many
nodes (a "billion laughs" document) is refused with one clear sentence before anything walks it.
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import PresetError

__all__ = ["MAX_CHARACTERS", "MAX_DEPTH", "MAX_NODES", "load_yaml"]

MAX_CHARACTERS = 1_000_000
"""Longest document read (a preset of a thousand nodes is about 50 kB)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists."""
MAX_NODES = 100_000
"""Most nodes the document may hold once every alias is expanded."""


def _where(node: yaml.Node) -> str:
    return f" at line {node.start_mark.line + 1}" if node.start_mark is not None else ""


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check(root: yaml.Node, source: str) -> None:
    """Expanded size and depth of the node graph, without recursion (shared nodes are counted
    each time they are used, as a reader of the document would walk them)."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            on_path.discard(key)
            if size[key] > MAX_NODES:
                raise PresetError(f"{source}: the document expands to more than {MAX_NODES:,} nodes through its aliases{_where(node)}")
            if depth[key] > MAX_DEPTH:
                raise PresetError(f"{source}: nested more than {MAX_DEPTH} levels deep{_where(node)}")
            continue
        if key in size:
            continue
        if key in on_path:
            raise PresetError(f"{source}: an alias refers to a node that contains it{_where(node)} (a recursive document)")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)


def load_yaml(text: str, source: str) -> Any:
    """The document in ``text`` (``SafeLoader``), or ``PresetError`` naming ``source``: a YAML
    syntax error with its line, or a document out of bounds."""
    if len(text) > MAX_CHARACTERS:
        raise PresetError(f"{source}: {len(text):,} characters is too long for a preset (at most {MAX_CHARACTERS:,})")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check(node, source)
        return loader.construct_document(node)
    except PresetError:
        raise
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PresetError(f"{source}: invalid YAML{where}: {problem}") from None
    except RecursionError:  # the composer recurses: a document nested far too deeply
        raise PresetError(f"{source}: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as error:  # an integer of more digits than Python converts
        raise PresetError(f"{source}: cannot read a value: {str(error).splitlines()[0].split(';')[0]}") from None
    finally:
        loader.dispose()
