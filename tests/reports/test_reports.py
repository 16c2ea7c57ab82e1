"""HTML, Markdown and text reports: what they show, in what order, and that evidence stays inert."""

from __future__ import annotations

import gc
import html
import html.parser
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from framework_dsl import RuleSet, load_rules
from framework_dsl.reports.batch import ReportWriter
from framework_dsl.reports.guide import FrameworkGuide, guides_for, words
from framework_dsl.reports.markup import escape_markdown, md_code, md_wrap
from framework_dsl.reports.terminal import printable
from framework_dsl.reports.text import render_problems_text, render_result_text
from framework_dsl.reports.view import document_view
from framework_dsl.result import Result
from framework_dsl.whatif import Suggestion, WhatIf, what_would_change

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MIXED = ["good", "undetermined", "invalid", "not-in-force"]

# Evidence text that would be markup, script or terminal control if it were passed on as it is.
HOSTILE = (
    "<script>alert(1)</script><img src=x onerror=alert(2)> **bold** [link](javascript:alert(3)) "
    "`code` | pipe &amp; # not a heading\n- not an item \x1b[31mred\x1b]0;title\x07 \u202eevil"
)


def markdown_to_html(text: str) -> str:
    """Markdown as GitHub-style renderers show it (raw HTML allowed, so escaping must hold on its own)."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(text)


class _Page(html.parser.HTMLParser):
    """The tags and the text of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


# ---------------------------------------------------------------- snapshots


@pytest.mark.parametrize("output_format", ["html", "markdown"])
@pytest.mark.parametrize("case", ["one", "batch", "explain"])
def test_reports_read_as_recorded(
    demo: RuleSet, evaluate, render, text_snapshot, case: str, output_format: str
) -> None:  # type: ignore[no-untyped-def]
    """The HTML and Markdown of one document, of a mixed batch and of an explained result match their snapshots."""
    if case == "one":
        report = render(demo, [evaluate("good")], output_format)
    elif case == "batch":
        report = render(demo, [evaluate(name) for name in MIXED], output_format)
    else:
        result = demo.evaluate_json(
            (Path(__file__).parent / "evidence" / "undetermined.json").read_bytes(),
            None,
            source="evidence/undetermined.json",
            explain=True,
        )
        report = render(demo, [result], output_format, explain=True)
    assert report == text_snapshot


@pytest.mark.parametrize("name", MIXED)
def test_text_reads_as_recorded(evaluate, text_snapshot, name: str) -> None:  # type: ignore[no-untyped-def]
    """The text block of each kind of result (and the problems of an invalid one) match their snapshots."""
    result = evaluate(name)
    shown = render_result_text(result)
    if result.problems:
        shown += "\n--- standard error ---\n" + render_problems_text(result)
    assert shown == text_snapshot


# ---------------------------------------------------------------- what a report says, and where


def test_headline_comes_first_with_labels_not_identifiers(demo: RuleSet, evaluate, render) -> None:  # type: ignore[no-untyped-def]
    """The overall grade and the grid come before the judgements; titles and grades are labels."""
    page = render(demo, [evaluate("good")], "html")
    headline = page.index('class="headline"')
    assert headline < page.index(">Judgements</h3>") < page.index(">Checks</h3>")
    assert page.index("Overall</a>") > headline
    grid = page[headline : page.index("</section>", headline)]
    assert re.findall(r'<th scope="row"><a href="#[^"]+">([^<]+)</a>', grid) == ["Safe", "Well-led", "Caring"]
    assert "Requires improvement" in grid and "requires_improvement" not in grid
    assert "Harbour House — Harbour Care Ltd" in page and "2 May 2024" in page


def test_undetermined_outcomes_are_listed_with_the_missing_evidence(demo: RuleSet, evaluate, render) -> None:  # type: ignore[no-untyped-def]
    """Each outcome not decided is named in "Not decided" with the pointers of the evidence it lacks."""
    view = document_view(evaluate("undetermined"), guides_for(demo)["demo"], 1)
    assert [(o.heading, o.missing) for o in view.undecided] == [
        ("Well-led", ("/well_led_grade",)),
        ("Overall", ("/well_led_grade",)),
        ("Finding action: /findings/0", ("/findings/0/serious",)),
    ]
    for output_format in ("html", "markdown"):
        report = render(demo, [evaluate("undetermined")], output_format)
        assert "Not decided (3)" in report
        assert report.count("/findings/0/serious") >= 2  # in the list, and at the outcome itself


def test_invalid_evidence_shows_every_problem_with_pointer_and_hint(demo: RuleSet, evaluate, render) -> None:  # type: ignore[no-untyped-def]
    """Every problem of an invalid document is shown with its JSON pointer, what was found and the hint."""
    result = evaluate("invalid")
    for output_format in ("html", "markdown"):
        report = render(demo, [result], output_format)
        for problem in result.problems:
            assert escape_markdown(problem.pointer or "/") in report or html.escape(problem.pointer or "/") in report
            assert problem.hint is None or (
                html.escape(problem.hint) in report or escape_markdown(problem.hint) in report
            )
        assert "did you mean" in report


def test_a_batch_opens_with_counts_and_contents(demo: RuleSet, evaluate) -> None:  # type: ignore[no-untyped-def]
    """A batch counts documents by status and by headline outcome, and lists those that need attention."""
    with ReportWriter("html", guides_for(demo), version="0") as writer:
        for name in [*MIXED, "good"]:
            writer.add(evaluate(name))
        summary = writer.summary()
    assert summary.documents == 5
    assert [(status, count) for status, _, count in summary.statuses] == [
        ("evaluated", 2),
        ("undetermined", 1),
        ("not_in_force", 1),
        ("invalid_evidence", 1),
    ]
    (overall,) = summary.headlines
    assert overall.title == "Overall"
    assert [(o.text, o.tone, o.count) for o in overall.outcomes] == [
        ("Requires improvement", "grade-4", 2),
        ("Undetermined", "undetermined", 1),
    ]
    assert summary.attention == 3


def test_a_batch_keeps_no_result_in_memory(demo: RuleSet, evaluate) -> None:  # type: ignore[no-untyped-def]
    """Once added, a result is written out and let go: the report holds counters, not documents."""

    def results_alive() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if type(o) is Result)

    before = results_alive()
    with ReportWriter("markdown", guides_for(demo), version="0") as writer:
        for name in MIXED * 5:
            writer.add(evaluate(name))
        assert results_alive() == before
        assert writer.summary().documents == 20


# ---------------------------------------------------------------- headlines and titles of the bundled frameworks


@pytest.fixture(scope="module")
def bundled_guides() -> dict[str, FrameworkGuide]:
    """The guides of the bundled frameworks."""
    return dict(guides_for(load_rules()))


def test_cqc_leads_with_the_overall_rating_and_the_five_key_questions(bundled_guides) -> None:  # type: ignore[no-untyped-def]
    """CQC's overall rating reads the five key questions, so it leads and they form the grid, as CQC shows them."""
    cqc = bundled_guides["cqc"]
    assert cqc.leading == ("overall",)
    assert cqc.grid == ("safe", "effective", "caring", "responsive", "well_led")
    assert [cqc.title_of(n) for n in cqc.grid] == ["Safe", "Effective", "Caring", "Responsive", "Well-led"]
    assert cqc.title_of("children_safeguarding_action") == "Children safeguarding action"


def test_headlines_are_derived_the_same_way_for_every_framework(bundled_guides) -> None:  # type: ignore[no-untyped-def]
    """Graded judgements form the headline (NCPI's five topics, PEEL's grades); without grades, the conclusions."""
    assert bundled_guides["ncpi"].leading == ()
    assert len(bundled_guides["ncpi"].grid) == 5
    assert bundled_guides["peel"].grid == ("question_grade", "pillar_grade")
    assert bundled_guides["peel"].item_label("pillar_grade", "#efficiency") == "Efficiency"
    assert bundled_guides["clas"].grid[0] == "coverage"
    assert all(guide.grid for guide in bundled_guides.values())


def test_values_read_are_shown_by_their_labels(bundled_guides) -> None:  # type: ignore[no-untyped-def]
    """An evidence value read is shown by its member's label where the schema knows its type."""
    cqc = bundled_guides["cqc"]
    assert cqc.value_at("/key_questions/safe/rating", "requires_improvement") == "Requires improvement"
    assert cqc.value_at("/breaches/3/enforcement", "warning_notice") == "Warning notice"
    assert cqc.value_at("/inspection/date", "2019-03-01") == "2019-03-01"
    assert cqc.value_at("/no/such/field", "x") == "x"
    assert words("risk_assessment_and_referral") == "Risk assessment and referral"


# ---------------------------------------------------------------- evidence stays inert


def _hostile(evaluate, valid: bool = True):  # type: ignore[no-untyped-def]
    data = json.loads((Path(__file__).parent / "evidence" / "good.json").read_text(encoding="utf-8"))
    data["subject"]["provider"] = HOSTILE
    data["findings"][0]["note"] = HOSTILE
    if not valid:
        data["caring_grade"] = HOSTILE
    return evaluate("hostile", data=json.dumps(data).encode())


@pytest.mark.parametrize("valid", [True, False])
def test_html_shows_evidence_markup_as_text(demo: RuleSet, evaluate, render, valid: bool) -> None:  # type: ignore[no-untyped-def]
    """A <script>, an onerror attribute or a javascript: link in evidence is text on the page, never markup."""
    page = parse_html(render(demo, [_hostile(evaluate, valid)], "html"))
    assert {tag for tag, _ in page.tags} & {"script", "img", "iframe"} == set()
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    assert not any("javascript:" in (value or "") for _, attrs in page.tags for value in attrs.values())
    assert printable(HOSTILE) in "".join(page.text)
    assert "\x1b" not in "".join(page.text)


@pytest.mark.parametrize("valid", [True, False])
def test_markdown_shows_evidence_markup_as_text(demo: RuleSet, evaluate, render, valid: bool) -> None:  # type: ignore[no-untyped-def]
    """Rendered Markdown shows evidence exactly: no HTML, link, emphasis, heading or list comes from it."""
    report = render(demo, [_hostile(evaluate, valid)], "markdown")
    assert "\x1b" not in report and "\u202e" not in report
    page = parse_html(markdown_to_html(report))
    tags = {tag for tag, _ in page.tags}
    assert tags & {"script", "img", "iframe"} == set()
    assert all((attrs.get("href") or "#").startswith("#") for tag, attrs in page.tags if tag == "a")
    assert printable(HOSTILE).replace("\\n", " ") in " ".join("".join(page.text).split()).replace("\\n", " ")


def _one_with_changes(demo: RuleSet, result: Result, changes: dict[str, WhatIf], output_format: str = "html") -> str:
    out = io.BytesIO()
    with ReportWriter(output_format, guides_for(demo), version="0.0.0-test") as writer:
        writer.add(result, changes=changes)
        writer.finish(out)
    return out.getvalue().decode("utf-8")


def test_one_document_says_what_would_change_each_judgement(demo: RuleSet, evaluate, text_snapshot) -> None:  # type: ignore[no-untyped-def]
    """Under each judgement: the smallest single change one step up and one down, by labels, or that none will do."""
    result = evaluate("good")
    evidence = json.loads((Path(__file__).parent / "evidence" / "good.json").read_text(encoding="utf-8"))
    changes = what_would_change(demo, evidence, as_of=result.as_of)
    report = _one_with_changes(demo, result, changes)
    assert report == text_snapshot
    safe = report[report.index('id="doc-1-safe"') : report.index('id="doc-1-well_led"')]
    assert "What would change it" in safe
    assert "To <strong>Outstanding</strong>: <code>/safe_grade</code> Good → Outstanding" in safe
    assert "To <strong>Requires improvement</strong>: <code>/safe_grade</code> Good → Requires improvement" in safe
    # Made item by item, and checks: no line (the command answers those, `--item`).
    items = report[report.index("item by item") :]
    assert "What would change it" not in items
    plain = parse_html(_one_with_changes(demo, result, {}))
    assert "What would change it" not in "".join(plain.text)


def test_one_markdown_document_says_what_would_change_each_judgement(demo: RuleSet, evaluate, text_snapshot) -> None:  # type: ignore[no-untyped-def]
    """Markdown has the same lines as HTML, as list items under each judgement."""
    result = evaluate("good")
    evidence = json.loads((Path(__file__).parent / "evidence" / "good.json").read_text(encoding="utf-8"))
    report = _one_with_changes(demo, result, what_would_change(demo, evidence, as_of=result.as_of), "markdown")
    assert report == text_snapshot
    assert "  - To **Outstanding**: `/safe_grade` Good → Outstanding\n" in report


def _hostile_answer() -> WhatIf:
    """An answer whose change names a pointer and a value that would be markup or terminal control."""
    change = {"op": "replace", "path": "/" + HOSTILE, "value": HOSTILE, "_from": "x"}
    return WhatIf(
        judgement="safe",
        item=None,
        outcome="good",
        status="decided",
        targets=("outstanding",),
        suggestions={"outstanding": (Suggestion(patch=(change,), outcome="outstanding", reason=None, rule=None),)},
        unreachable={},
        evaluations=1,
    )


def test_what_would_change_shows_markup_as_text(demo: RuleSet, evaluate) -> None:  # type: ignore[no-untyped-def]
    """A pointer or value that would be markup is text in the line, like every other value from evidence."""
    page = parse_html(_one_with_changes(demo, evaluate("good"), {"safe": _hostile_answer()}))
    assert {tag for tag, _ in page.tags} & {"script", "img", "iframe"} == set()
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    assert printable(HOSTILE) in "".join(page.text)
    report = _one_with_changes(demo, evaluate("good"), {"safe": _hostile_answer()}, "markdown")
    assert "\x1b" not in report and "\u202e" not in report
    shown = parse_html(markdown_to_html(report))
    assert {tag for tag, _ in shown.tags} & {"script", "img", "iframe"} == set()
    assert all((attrs.get("href") or "#").startswith("#") for tag, attrs in shown.tags if tag == "a")


def test_text_and_problems_never_pass_terminal_controls(evaluate) -> None:  # type: ignore[no-untyped-def]
    """Escape sequences, BEL, carriage returns and bidirectional overrides from evidence are shown, not obeyed."""
    for valid in (True, False):
        result = _hostile(evaluate, valid)
        shown = render_result_text(result) + (render_problems_text(result) if result.problems else "")
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", shown)
        assert "\\x1b[31mred" in shown
    assert printable("a\tb\r\nc\x9b\ud800") == "a\\tb\\r\\nc\\x9b\\ud800"


@given(st.text())
def test_escaped_markdown_shows_exactly_its_text(text: str) -> None:
    """Whatever the text, Markdown renders the escaped text as that text (controls as their escapes).

    Only whitespace at either end may go: Markdown trims a paragraph.
    """
    page = parse_html(markdown_to_html(escape_markdown(text, line_start=True)))
    assert {tag for tag, _ in page.tags} <= {"p"}
    assert "".join(page.text).strip() == printable(text).strip()


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1))
def test_wrapped_markdown_and_code_spans_show_their_text(text: str) -> None:
    """Wrapping never starts a block, and a code span holds any text, backticks included."""
    page = parse_html(markdown_to_html("- " + md_wrap(text, width=12)))
    assert {tag for tag, _ in page.tags} <= {"ul", "li"}
    assert " ".join("".join(page.text).split()) == " ".join(printable(text).split())
    code = parse_html(markdown_to_html("x " + md_code(text)))
    assert {tag for tag, _ in code.tags} <= {"p", "code"}
