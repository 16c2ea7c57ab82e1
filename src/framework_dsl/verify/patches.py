"""Patching documents: a monotonic property's input moved up, and the JSON patches that say how."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from framework_dsl import ir
from framework_dsl.typesystem import DECIMAL, INTEGER, Choice, ListOf, MapOf, RecordType, SetOf, Type
from framework_dsl.verify.reads import Path
from framework_dsl.verify.space import Space


def input_pattern(framework: ir.Framework, path: tuple[str, ...]) -> Path:
    """The declared input path with "*" for each map or list it passes through."""
    out: list[str] = []
    current: Type = framework.evidence
    for name in path:
        selected = False
        while isinstance(current, MapOf | ListOf | SetOf):
            if isinstance(current, MapOf):
                selected = current.key.member(name) is not None
                current = current.value
                out.append(name if selected else "*")
                if selected:
                    break
            else:
                current = current.element
                out.append("*")
        if selected:
            continue
        out.append(name)
        if isinstance(current, RecordType):
            current = current.fields[name].type
    return tuple(out)


def _locations(value: Any, pattern: Path, pointer: str) -> Iterator[tuple[str, Any, Any, str]]:
    """(pointer, parent container, key in it, value) for each place `pattern` names in `value`."""
    if not pattern:
        return
    head, rest = pattern[0], pattern[1:]
    if isinstance(value, dict):
        keys = list(value) if head == "*" else [head] if head in value else []
        for key in keys:
            child = f"{pointer}/{key}"
            if rest:
                yield from _locations(value[key], rest, child)
            else:
                yield child, value, key, value[key]
    elif isinstance(value, list) and head == "*":
        for index, item in enumerate(value):
            child = f"{pointer}/{index}"
            if rest:
                yield from _locations(item, rest, child)
            else:
                yield child, value, index, item


def moved_up(
    document: dict[str, Any], pattern: Path, prop: ir.Monotonic, space: Space
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each document of the space with the input moved up (better, more, one item more), and the patch."""
    t = prop.input_type
    for pointer, _parent, _key_in, value in list(_locations(document, pattern, "")):
        candidates: list[Any] = []
        if isinstance(t, Choice):
            member = t.member(value) if isinstance(value, str) else None
            if member is None or not member.ordered:
                continue
            candidates = [m.name for m in t.members if m.ordered and m.owner == member.owner and m.rank < member.rank]
        elif t in (INTEGER, DECIMAL):
            options = space.options(t, ())
            candidates = [n for n in options if n > value]
        elif isinstance(t, ListOf | SetOf):
            if len(value) >= space.max_items:
                continue
            location = (*tuple(p for p in pattern), "*")
            items = (
                list(space.values(t.element, location))
                if space.varies(location)
                else [space.default(t.element, location)]
            )
            for item in items:
                if isinstance(t, SetOf) and item in value:
                    continue
                changed = _replaced(document, pointer, [*value, item])
                yield changed, [{"op": "add", "path": f"{pointer}/-", "value": item}]
            continue
        for new in candidates:
            changed = _replaced(document, pointer, new)
            yield changed, [{"op": "replace", "path": pointer, "value": new}]


def _replaced(document: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    """A copy of `document` with the value at `pointer` replaced; only the containers on the way are copied."""
    parts = pointer.split("/")[1:]

    def down(node: Any, index: int) -> Any:
        if index == len(parts):
            return value
        copied = list(node) if isinstance(node, list) else dict(node)
        key: Any = int(parts[index]) if isinstance(node, list) else parts[index]
        copied[key] = down(node[key], index + 1)
        return copied

    changed: dict[str, Any] = down(document, 0)
    return changed


def reverse(patch: list[dict[str, Any]], document: dict[str, Any]) -> list[dict[str, Any]]:
    """The patch that undoes `patch` applied to `document` (its old values from `document`)."""
    out = []
    for op in patch:
        if op["op"] == "add":
            out.append({"op": "remove", "path": op["path"].replace("/-", f"/{_length(document, op['path'])}")})
        else:
            old = document
            for part in op["path"].split("/")[1:]:
                old = old[int(part)] if isinstance(old, list) else old[part]
            out.append({"op": "replace", "path": op["path"], "value": old})
    return out


def _length(document: dict[str, Any], pointer: str) -> int:
    target: Any = document
    for part in pointer.split("/")[1:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    return len(target)


def patched(document: dict[str, Any], patch: list[dict[str, Any]]) -> dict[str, Any]:
    """`document` with a patch of `moved_up` applied (one `add` to a list's end, or one `replace`)."""
    out = document
    for op in patch:
        if op["op"] == "add":
            pointer = op["path"][: -len("/-")]
            target: Any = out
            for part in pointer.split("/")[1:]:
                target = target[int(part)] if isinstance(target, list) else target[part]
            out = _replaced(out, pointer, [*target, op["value"]])
        else:
            out = _replaced(out, op["path"], op["value"])  # KeyError where the document has no such place
    return out
