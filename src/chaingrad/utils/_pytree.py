"""Nested containers of tensors ("pytrees"), as ``torch.utils._pytree`` flattens them for ``vmap`` and ``grad``.

A tree is a tuple, list, dict or namedtuple whose items are trees; anything else (a tensor, a number,
None) is a leaf. ``tree_flatten`` gives the leaves in order and a ``TreeSpec`` to rebuild the tree with
``tree_unflatten``; ``broadcast_prefix`` spreads a prefix tree (``vmap``'s ``in_dims``) over a tree's leaves.
The spec prints as torch's does, so error messages read the same.
"""

from __future__ import annotations

from typing import Any


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _children(x) -> tuple[type, Any, list] | None:
    """(node type, context, children) of a container node; None for a leaf."""
    if _is_namedtuple(x):
        return type(x), type(x), list(x)
    if type(x) in (tuple, list):
        return type(x), None, list(x)
    if isinstance(x, dict):
        return type(x), list(x.keys()), list(x.values())
    return None


class TreeSpec:
    """The shape of a tree: its node type, the context that rebuilds it (dict keys), its children's specs."""

    def __init__(self, type: type | None, context: Any, children: list[TreeSpec]) -> None:
        self.type = type
        self.context = context
        self.children = children
        self.num_leaves: int = 1 if type is None else sum(c.num_leaves for c in children)

    def is_leaf(self) -> bool:
        return self.type is None

    def __eq__(self, other) -> bool:
        return (isinstance(other, TreeSpec) and self.type == other.type and self.context == other.context
                and self.children == other.children)

    def __repr__(self, indent: int = 0) -> str:
        if self.type is None:
            return "*"
        context = self.context.__name__ if isinstance(self.context, type) else self.context
        text = ""
        if self.children:
            indent += 2
            text = self.children[0].__repr__(indent) + ("," if len(self.children) > 1 else "")
            text += ",".join("\n" + " " * indent + c.__repr__(indent) for c in self.children[1:])
        return f"TreeSpec({self.type.__name__}, {context}, [{text}])"


LEAF = TreeSpec(None, None, [])


def tree_flatten(tree) -> tuple[list, TreeSpec]:
    """The leaves of a tree, in order, and its spec."""
    leaves: list = []

    def walk(x) -> TreeSpec:
        node = _children(x)
        if node is None:
            leaves.append(x)
            return LEAF
        kind, context, kids = node
        return TreeSpec(kind, context, [walk(k) for k in kids])

    spec = walk(tree)
    return leaves, spec


def tree_unflatten(leaves, spec: TreeSpec):
    """Rebuild a tree of ``spec``'s shape from its leaves (in ``tree_flatten``'s order)."""
    it = iter(leaves)

    def build(s: TreeSpec):
        if s.type is None:
            return next(it)
        kids = [build(c) for c in s.children]
        if s.type in (tuple, list):
            return s.type(kids)
        if isinstance(s.context, type):  # a namedtuple
            return s.type(*kids)
        return s.type(zip(s.context, kids))

    return build(spec)


def tree_map(fn, tree):
    """The same tree with ``fn`` applied to every leaf."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_prefix(prefix, spec: TreeSpec) -> list | None:
    """One entry of ``prefix`` per leaf of the tree ``spec`` describes: a leaf of ``prefix`` stands for all
    the leaves below it. None when ``prefix`` is not a prefix of the tree (torch's
    ``_broadcast_to_and_flatten``)."""
    out: list = []

    def walk(p, s: TreeSpec) -> bool:
        node = _children(p)
        if node is None:
            out.extend([p] * s.num_leaves)
            return True
        kind, context, kids = node
        if s.type is None or kind is not s.type or len(kids) != len(s.children):
            return False
        if isinstance(p, dict):
            if set(p) != set(s.context):
                return False
            return all(walk(p[k], c) for k, c in zip(s.context, s.children))
        return all(walk(k, c) for k, c in zip(kids, s.children))

    return out if walk(prefix, spec) else None
