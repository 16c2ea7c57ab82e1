"""Properties of statutory references: `within` is a prefix order on provisions, unknown only for a parent."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from framework_dsl.semantics.operators import OPERATORS, Op
from framework_dsl.values import PROVISION_PATTERN, Provision, Unknown, parse_provision, provision_within

_HEAD = st.from_regex(r"[1-9][0-9]?[A-Z]?", fullmatch=True)
_PART = st.one_of(st.from_regex(r"[1-9][0-9]?[A-Z]?", fullmatch=True), st.from_regex(r"[a-z]{1,3}", fullmatch=True))


def _text(head: str, parts: list[str]) -> str:
    return head + "".join(f"({part})" for part in parts)


@st.composite
def _provision(draw: st.DrawFn, pointer: str | None = "/p") -> Provision:
    head = draw(_HEAD)
    parts = draw(st.lists(_PART, max_size=4))
    provision = parse_provision(_text(head, parts), pointer)
    assert provision is not None
    return provision


@st.composite
def _chain(draw: st.DrawFn) -> tuple[Provision, Provision, Provision]:
    """Three provisions, each a sub-paragraph (at some depth) of the one before."""
    head = draw(_HEAD)
    parts = draw(st.lists(_PART, max_size=6))
    cuts = sorted(draw(st.lists(st.integers(0, len(parts)), min_size=3, max_size=3)))
    made = [parse_provision(_text(head, parts[:cut]), "/p") for cut in cuts]
    assert all(p is not None for p in made)
    return made[0], made[1], made[2]  # type: ignore[return-value]


@given(_provision())
def test_a_provision_is_within_itself(provision: Provision) -> None:
    """Reflexive: 16(3)(b) is within 16(3)(b)."""
    assert provision_within(provision, provision) is True


@given(_chain())
def test_within_is_transitive(chain: tuple[Provision, Provision, Provision]) -> None:
    """Transitive: a sub-paragraph of a sub-paragraph of 16(3) is within 16(3)."""
    top, middle, bottom = chain
    assert provision_within(middle, top) is True
    assert provision_within(bottom, middle) is True
    assert provision_within(bottom, top) is True


@given(_chain())
def test_a_parent_is_unknown_within_its_sub_paragraph_pointing_at_the_evidence(
    chain: tuple[Provision, Provision, Provision],
) -> None:
    """`20(2)` within `20(2)(a)` is unknown, not false, and names the evidence to make precise."""
    top, _, bottom = chain
    answer = provision_within(top, bottom)
    if top == bottom:
        assert answer is True
    else:
        assert isinstance(answer, Unknown)
        assert answer.missing == frozenset({"/p"})


@given(_provision(), _provision())
def test_within_is_decided_exactly_when_one_is_not_a_parent_of_the_other(left: Provision, right: Provision) -> None:
    """True when right's parts begin left's; unknown when left's begin right's; false when they part ways."""
    answer = provision_within(left, right)
    if left.parts[: len(right.parts)] == right.parts:
        assert answer is True
    elif right.parts[: len(left.parts)] == left.parts:
        assert isinstance(answer, Unknown)
    else:
        assert answer is False
        assert provision_within(right, left) is False  # unrelated both ways


@given(_provision(), st.lists(_provision(), max_size=4))
def test_within_a_list_is_within_any_of_them(provision: Provision, scopes: list[Provision]) -> None:
    """The operator over a list is Kleene `or` of the answers for each scope: true if any is true."""
    answer = OPERATORS[Op.WITHIN].evaluate(provision, tuple(scopes))
    each = [provision_within(provision, scope) for scope in scopes]
    if any(a is True for a in each):
        assert answer is True
    elif any(isinstance(a, Unknown) for a in each):
        assert isinstance(answer, Unknown)
    else:
        assert answer is False


@given(st.text(alphabet="0123456789()abAB .", max_size=12))
def test_the_schema_pattern_accepts_exactly_what_the_validator_does(text: str) -> None:
    """The JSON Schema export and the evidence validator agree on every text."""
    assert (re.fullmatch(PROVISION_PATTERN, text) is not None) == (parse_provision(text) is not None)


@given(_provision())
def test_a_provision_reads_back_as_written(provision: Provision) -> None:
    """Its text parses to the same provision, and it shows as it was written."""
    again = parse_provision(str(provision))
    assert again == provision
    assert again is not None and again.parts == provision.parts
