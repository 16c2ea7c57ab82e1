"""The IR's own helpers: the list of expression classes and the walk over an expression."""

from __future__ import annotations

from typing import get_args

from framework_dsl import ir, load_rules


def test_the_expression_classes_are_exactly_the_expression_union() -> None:
    """`ir.EXPRESSION_CLASSES` (what `ir.children` recognises) names every class of `ir.Expr`, once."""
    assert len(ir.EXPRESSION_CLASSES) == len(set(ir.EXPRESSION_CLASSES))
    assert set(ir.EXPRESSION_CLASSES) == set(get_args(ir.Expr))


def test_walk_reaches_every_definition_a_decision_reads(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`ir.walk` visits parents first and finds references nested inside operators and lists."""
    rules = load_rules(
        write_rules(
            {
                "walk.fw": (
                    'framework walk "Walk"\n'
                    "  effective from 2020-01-01\n"
                    "evidence:\n"
                    '  a: integer "A"\n'
                    '  b: integer "B"\n'
                    "define twice = a + a\n"
                    "define both = [twice, b]\n"
                    "judgement big: boolean\n"
                    '  otherwise count of both >= 2 and twice > b because "ok"\n'
                )
            }
        )
    )
    framework = rules.framework("walk")
    (decision,) = framework.judgements
    nodes = [node for root in decision.expressions() for node in ir.walk(root)]
    assert type(nodes[0]) is ir.Binary  # the `and`, before anything inside it
    assert sorted(node.key for node in nodes if type(node) is ir.DefinitionRef) == ["walk:both", "walk:twice"]
    inner = list(ir.walk(framework.definitions["walk:both"].value))
    assert [type(node) for node in inner] == [ir.ListExpr, ir.DefinitionRef, ir.EvidenceField]
