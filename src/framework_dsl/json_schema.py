"""The schema stage: a checked framework's evidence type -> JSON Schema (draft 2020-12).

Producers of evidence validate against this schema before they send a document to
`framework-check`. It states what `framework_dsl.evidence.validate` accepts and rejects:

- records are objects with `additionalProperties: false`; fields that are not
  `optional` are `required` and refuse `null`; optional fields also accept `null`;
- `"framework"` is required and must name the framework (the command reads it to pick
  the rules); `"subject"` is an open object (or `null`), checked only for its depth;
- scales, enumerations and named outcomes are strings naming a member, each member
  with its label as `title` (`oneOf` of `const`s); named ones sit in `$defs`;
- `integer` is a JSON integer, which JSON Schema and the engine both take to include a
  number written with a zero fraction (`2.0` is the integer 2); `decimal` is any JSON
  number; a ranged number (`integer from 1 to 4`) has `minimum` and `maximum`; `date` is
  a `YYYY-MM-DD` string (`format: date` plus a pattern, for validators that treat
  `format` as an annotation only);
- `list of T` is an array, `set of T` an array with `uniqueItems` when its items are
  compared by value (a set of records or maps is not: the engine never treats two
  records as the same item);
- `map of K to V` is an object whose keys are members of K (every key optional) and
  whose values are V or `null` (the engine ignores `null` entries);
- records are `$defs` entries referenced with `$ref`, so recursive records work;
- the limits the engine applies to evidence are stated: text length as `maxLength`,
  list length as `maxItems`, and what JSON Schema cannot say (nesting depth, the digits
  of an integer) in the schema's `description`.

What JSON Schema cannot say, and the engine still refuses, is listed in `NOT_EXPRESSED`
(the agreement test `tests/properties/test_schema_agreement.py` treats exactly these as
expected differences).
"""

from __future__ import annotations

from typing import Any

from framework_dsl import ir
from framework_dsl.evidence import DEFAULT_LIMITS, MAX_INTEGER_DIGITS, Limits
from framework_dsl.typesystem import (
    BOOLEAN,
    DATE,
    DECIMAL,
    DURATION,
    INTEGER,
    PROVISION,
    TEXT,
    AnyType,
    Choice,
    ListOf,
    MapOf,
    Prim,
    RecordType,
    SetOf,
    SymbolSet,
    Type,
)
from framework_dsl.values import MAX_PROVISION_LENGTH, PROVISION_PATTERN

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_NULL: dict[str, Any] = {"type": "null"}

# What the engine refuses and JSON Schema cannot express, as the schema's description says it.
NOT_EXPRESSED: dict[str, str] = {
    "bytes": "a document text longer than the byte limit",
    "depth": "nesting deeper than the depth limit, `subject` included",
    "digits": f"an integer of more than {MAX_INTEGER_DIGITS:,} digits",
    "duplicate-keys": "an object that holds one key twice (a JSON parser keeps only one)",
    "surrogates": "a text holding a lone surrogate escape such as \\ud800",
}


def limits_text(limits: Limits) -> str:
    """The sentence of the schema's description that states the limits JSON Schema cannot."""
    return (
        f"The engine also refuses a document of more than {limits.max_bytes:,} bytes, "
        f"one nested more than {limits.max_depth} levels deep "
        "(the document itself is level 0; this counts `subject` too), an integer of more than "
        f"{MAX_INTEGER_DIGITS:,} digits, an object holding one key twice, and a text with a lone "
        "surrogate escape. An integer may be written with a zero fraction (`2.0` is the integer 2)."
    )


def evidence_schema(framework: ir.Framework, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The JSON Schema of `framework`'s evidence documents.

    Args:
        framework: a checked framework (`RuleSet.frameworks[name]`).
        limits: the evidence limits to state (text and list lengths); the engine's
            defaults unless the documents are checked with other limits.

    Returns:
        A JSON-ready dict, keys in a fixed order, `$defs` sorted by name; the same
        framework always gives the same schema.

    Example:
        >>> from framework_dsl import load_rules
        >>> schema = evidence_schema(load_rules().frameworks["clas"])
        >>> schema["properties"]["framework"]["const"]
        'clas'
    """
    builder = _Builder(limits)
    body = builder.record_body(framework.evidence, root_framework=framework.name)
    description = f"Evidence for the framework `{framework.name}`, as `framework-check` accepts it."
    if framework.source_text:
        description += f" Rules from: {framework.source_text}."
    description += " " + limits_text(limits)
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "title": f"{framework.title}: evidence",
        "description": description,
        **body,
    }
    if builder.defs:
        schema["$defs"] = {key: builder.defs[key] for key in sorted(builder.defs)}
    return schema


def _pointer_segment(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


class _Builder:
    """Turns types into schemas, collecting named records and symbol sets as `$defs`."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.defs: dict[str, Any] = {}

    # -- records

    def record_body(self, record: RecordType, root_framework: str | None = None) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for name, info in record.fields.items():
            if root_framework is not None and name == "framework":
                properties[name] = {
                    "description": (info.description or "The framework this evidence is for")
                    + "; `framework-check` reads it to choose the rules",
                    "const": root_framework,
                }
                required.append(name)
                for open_name in sorted(record.open_fields):
                    properties[open_name] = {
                        "description": "Who or what the evidence is about; copied into the result, and checked "
                        f"only for its nesting: at most {self.limits.max_depth} levels, counted from the document",
                        "type": ["object", "null"],
                    }
                continue
            value = self.type_schema(info.type)
            field: dict[str, Any] = {}
            if info.description:
                field["description"] = info.description
            if info.optional:
                field["anyOf"] = [value, _NULL]
            else:
                field.update(value)
                required.append(name)
            properties[name] = field
        body: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            body["required"] = required
        body["additionalProperties"] = False
        return body

    def record_ref(self, record: RecordType) -> dict[str, Any]:
        key = record.qualname
        if key not in self.defs:
            self.defs[key] = {}  # reserve first: a record may refer to itself
            self.defs[key] = {"title": record.name, **self.record_body(record)}
        return {"$ref": f"#/$defs/{_pointer_segment(key)}"}

    # -- symbols

    def symbol_set_body(self, symbol_set: SymbolSet) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if not _is_inline(symbol_set):
            body["title"] = symbol_set.label or symbol_set.name
        if symbol_set.kind == "scale":
            body["description"] = "A grade of this scale; grades are listed best first"
        body["type"] = "string"
        body["oneOf"] = [
            {"const": m.name, "title": m.label} if m.label is not None else {"const": m.name}
            for m in symbol_set.members
        ]
        return body

    def symbol_set_schema(self, symbol_set: SymbolSet) -> dict[str, Any]:
        if _is_inline(symbol_set):
            return self.symbol_set_body(symbol_set)
        key = symbol_set.qualname
        if key not in self.defs:
            self.defs[key] = self.symbol_set_body(symbol_set)
        return {"$ref": f"#/$defs/{_pointer_segment(key)}"}

    # -- any type

    def type_schema(self, t: Type) -> dict[str, Any]:
        if isinstance(t, Prim):
            return self.prim_schema(t)
        if isinstance(t, Choice):
            parts = [self.symbol_set_schema(s) for s in t.sets]
            if t.base is not None:
                parts.insert(0, self.prim_schema(t.base))
            return parts[0] if len(parts) == 1 else {"anyOf": parts}
        if isinstance(t, RecordType):
            return self.record_ref(t)
        if isinstance(t, ListOf | SetOf):
            schema: dict[str, Any] = {"type": "array", "items": self.type_schema(t.element)}
            if isinstance(t, SetOf) and _compared_by_value(t.element):
                schema["uniqueItems"] = True
            schema["maxItems"] = self.limits.max_items
            return schema
        if isinstance(t, MapOf):
            keys = list(dict.fromkeys(m.name for m in t.key.members))
            return {
                "type": "object",
                "propertyNames": {"enum": keys},
                "additionalProperties": {"anyOf": [self.type_schema(t.value), _NULL]},
            }
        if isinstance(t, AnyType):
            return {}
        raise AssertionError(f"unhandled evidence type {t!r}")  # pragma: no cover

    def prim_schema(self, t: Prim) -> dict[str, Any]:
        if t == TEXT:
            return {"type": "string", "maxLength": self.limits.max_text}
        if t == BOOLEAN:
            return {"type": "boolean"}
        if t == INTEGER:
            return {"type": "integer", **_bounds(t)}
        if t == DECIMAL:
            return {"type": "number", **_bounds(t)}
        if t == DATE:
            return {"type": "string", "format": "date", "pattern": DATE_PATTERN}
        if t == PROVISION:
            return {"type": "string", "pattern": PROVISION_PATTERN, "maxLength": MAX_PROVISION_LENGTH}
        if t == DURATION:
            # evidence cannot carry a duration: the validator refuses every value
            return {"not": {}, "description": "durations cannot be given as evidence"}
        raise AssertionError(f"unhandled primitive {t!r}")  # pragma: no cover


def _bounds(t: Prim) -> dict[str, Any]:
    """`minimum` / `maximum` of a ranged number (`integer from 1 to 4`): JSON numbers, exact when whole."""
    bounds: dict[str, Any] = {}
    for key, bound in (("minimum", t.low), ("maximum", t.high)):
        if bound is not None:
            bounds[key] = int(bound) if bound == bound.to_integral_value() else float(bound)
    return bounds


def _is_inline(symbol_set: SymbolSet) -> bool:
    """`one of (a "A", b "B")` written in place: schema inline, not in `$defs`."""
    return symbol_set.name.startswith("one of (")


def _compared_by_value(t: Type) -> bool:
    """Whether the engine finds repeats of `t` by value (records and maps: never)."""
    if isinstance(t, RecordType | MapOf):
        return False
    if isinstance(t, ListOf | SetOf):
        return _compared_by_value(t.element)
    return True
