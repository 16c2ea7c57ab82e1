"""The grammar: conflict-free LALR, and in step with the tree builder."""

from __future__ import annotations

import inspect

from framework_dsl import nodes, parser
from framework_dsl.grammar import build_parser, rule_parser


def test_grammar_is_conflict_free_in_strict_mode() -> None:
    """Lark's strict mode finds no shift/reduce conflict and no terminal collision."""
    build_parser(strict=True)


def test_every_surviving_rule_has_a_builder_method() -> None:
    """Each grammar rule or alias that reaches the tree has a method that builds its node."""
    builder = parser._Builder
    missing = set()
    for rule in rule_parser().rules:
        name = rule.alias or rule.origin.name
        name = str(name)
        if name.startswith("_") or (rule.options.expand1 and not rule.alias):
            continue
        if not hasattr(builder, name):
            missing.add(name)
    assert missing == set()


def test_every_node_class_is_built_by_some_method() -> None:
    """Every node class in `nodes.py` is constructed somewhere in the parser."""
    source = inspect.getsource(parser)
    classes = [
        name
        for name, value in vars(nodes).items()
        if inspect.isclass(value) and value.__module__ == nodes.__name__ and name not in {"RuleFile", "Comment"}
    ]
    unbuilt = [name for name in classes if f"nodes.{name}(" not in source and f"(nodes.{name}," not in source]
    assert unbuilt == []
