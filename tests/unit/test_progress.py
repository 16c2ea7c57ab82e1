"""What a batch tells the person running it: the progress line, capped problems, the summary.

The progress line's time comes from a clock the test gives (`FakeClock`); no test here
reads the real one.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework_dsl import RuleSet
from framework_dsl.cli.progress import (
    EVERY_PROBLEM,
    REDRAW_SECONDS,
    ProblemDisplay,
    ProblemLimits,
    Progress,
    duration_text,
    progress_text,
    summary_line,
)
from framework_dsl.inputs import Tally, render
from framework_dsl.result import Result


class FakeClock:
    """A clock that moves only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_progress_text_gives_count_share_rate_and_time_left() -> None:
    """12,000 of 50,000 after 3 s: 24%, 4,000 a second, 9.5 s left (shown rounded)."""
    assert progress_text(12_000, 50_000, 3.0) == "12,000 of 50,000 documents (24%), 4,000/s, 10 s left"


def test_progress_text_waits_a_second_before_giving_a_rate() -> None:
    """A rate over a fraction of a second says little: the first drawing gives the count alone."""
    assert progress_text(5, 50_000, 0.01) == "5 of 50,000 documents (0%)"


def test_progress_text_without_a_total_gives_the_count_and_rate() -> None:
    """Standard input's documents are not known in advance: no share and no time left."""
    assert progress_text(1, None, 0.0) == "1 document"
    assert progress_text(2_500, None, 2.0) == "2,500 documents, 1,250/s"


def test_a_total_passed_is_dropped() -> None:
    """The total is an estimate (a .jsonl file's lines, blank ones too): once passed, the count stands alone."""
    assert progress_text(11, 10, 2.0) == "11 documents, 6/s"


def test_durations_read_as_people_say_them() -> None:
    """Seconds, then minutes and seconds, then hours and minutes."""
    assert [duration_text(s) for s in (0.4, 42, 185, 7_620)] == ["0 s", "42 s", "3 min 05 s", "2 h 07 min"]


@given(
    done=st.integers(min_value=0, max_value=10**9),
    total=st.none() | st.integers(min_value=0, max_value=10**9),
    elapsed=st.floats(min_value=0, max_value=10**6),
)
def test_progress_text_is_always_one_short_line(done: int, total: int | None, elapsed: float) -> None:
    """Whatever the numbers, the line is one line that fits a narrow terminal, and never a negative time."""
    text = progress_text(done, total, elapsed)
    assert "\n" not in text and "\r" not in text
    assert len(text) < 80
    assert "-" not in text


def test_progress_draws_at_once_then_at_most_every_interval() -> None:
    """The first document draws the line; later ones redraw only once REDRAW_SECONDS have passed."""
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress(stream, total=lambda: 10, clock=clock)
    progress.advance(1)
    assert stream.getvalue() == "\r1 of 10 documents (10%)"
    clock.now += REDRAW_SECONDS / 2
    progress.advance(1)
    assert progress.drawings == 1
    clock.now += REDRAW_SECONDS
    progress.advance(1)
    assert progress.drawings == 2
    assert stream.getvalue().endswith("\r3 of 10 documents (30%)")


@given(steps=st.lists(st.floats(min_value=0, max_value=0.2), min_size=1, max_size=300))
def test_progress_redraws_no_more_often_than_its_interval(steps: list[float]) -> None:
    """However the documents come, the line is drawn at most once per interval, plus the first time."""
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress(stream, total=lambda: None, clock=clock)
    start = clock.now
    for step in steps:
        clock.now += step
        progress.advance(1)
    assert 1 <= progress.drawings <= (clock.now - start) / REDRAW_SECONDS + 1


def test_text_above_the_line_clears_it_and_the_line_comes_back() -> None:
    """Problems written during a run do not mix with the progress line: it is blanked, then redrawn."""
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress(stream, total=lambda: 4, clock=clock)
    progress.advance(1)
    progress.write("error[evidence.wrong-type]: ...\n")
    progress.advance(1)
    shown = "1 of 4 documents (25%)"
    assert stream.getvalue() == (
        f"\r{shown}\r{' ' * len(shown)}\rerror[evidence.wrong-type]: ...\n\r2 of 4 documents (50%)"
    )


def test_finish_leaves_only_the_last_line() -> None:
    """At the end the progress line is blanked and the summary takes its place, with a newline."""
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress(stream, total=lambda: 2, clock=clock)
    progress.advance(2)
    progress.finish("2 documents: 2 evaluated; report: standard output")
    assert stream.getvalue().rsplit("\r", 1)[1] == "2 documents: 2 evaluated; report: standard output\n"


def test_the_line_is_cut_to_the_terminal_width() -> None:
    """A line wider than the terminal would wrap and break the redraw: it is cut one short of the width."""
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress(stream, total=lambda: 50_000, clock=clock, width=20)
    progress.advance(12_000)
    assert stream.getvalue() == "\r" + "12,000 of 50,000 documents (24%)"[:19]


def test_a_shorter_line_blanks_what_the_longer_one_left() -> None:
    """When the line gets shorter (the total dropped once passed), spaces cover the old end."""
    clock, stream = FakeClock(), io.StringIO()
    total = [100]
    progress = Progress(stream, total=lambda: total[0], clock=clock)
    progress.advance(50)
    total[0] = 10
    clock.now += 1
    progress.advance(1)
    first = "50 of 100 documents (50%)"
    second = "51 documents, 51/s"
    assert stream.getvalue() == f"\r{first}\r{second}{' ' * (len(first) - len(second))}"


def _problems(documents: int, each: int) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(f"error[d{d}p{p}]" for p in range(each)) for d in range(documents))


def test_every_problem_is_shown_without_limits() -> None:
    """Off a terminal every problem is written, a blank line between problems, as before."""
    written: list[str] = []
    display = ProblemDisplay(written.append, EVERY_PROBLEM)
    display.show(_problems(2, 2))
    assert "".join(written) == "error[d0p0]\n\nerror[d0p1]\nerror[d1p0]\n\nerror[d1p1]\n"
    assert display.left_out_text(report="standard output", report_lists_problems=True) is None


def test_problems_are_capped_per_document_and_per_run() -> None:
    """With limits, a document shows its first few problems, the run its first few documents; the rest are counted."""
    written: list[str] = []
    display = ProblemDisplay(written.append, ProblemLimits(per_document=2, documents=3))
    display.show(_problems(2, 3))
    display.show(_problems(4, 1))
    text = "".join(written)
    assert text == (
        "error[d0p0]\n\nerror[d0p1]\n   ... and 1 more problem in this document\n"
        "error[d1p0]\n\nerror[d1p1]\n   ... and 1 more problem in this document\n"
        "error[d0p0]\n"
    )
    # Left out: one of each of the first two documents, and three whole documents.
    assert display.left_out == 5 and display.documents_left_out == 5
    assert display.left_out_text(report="report.json", report_lists_problems=True) == (
        "5 more problems in 5 documents not shown; the report (report.json) lists every one, "
        "and --all-problems shows them here"
    )
    assert display.left_out_text(report="standard output", report_lists_problems=False) == (
        "5 more problems in 5 documents not shown; --all-problems shows every one here, "
        "and --format json writes a report that lists them"
    )


def test_the_summary_counts_only_what_happened() -> None:
    """Zero counts are left out, except evaluated; the report's place ends the line."""
    tally = Tally(evaluated=49_990, undetermined=7, invalid=3)
    assert summary_line(tally, report="report.json") == (
        "50,000 documents: 49,990 evaluated, 7 undetermined, 3 invalid; report: report.json"
    )
    assert summary_line(Tally(evaluated=1), report="standard output") == (
        "1 document: 1 evaluated; report: standard output"
    )
    every = Tally(evaluated=1, undetermined=2, failed=3, not_in_force=4, invalid=5, failed_on=6)
    assert summary_line(every, report="out.html", fail_on="inadequate") == (
        "15 documents: 1 evaluated, 2 undetermined, 3 failed to evaluate, 4 not in force, 5 invalid; "
        "6 at or below inadequate (--fail-on); report: out.html"
    )


def test_each_document_is_tallied_once_by_how_it_ended(bundled: RuleSet) -> None:
    """Decided, undetermined, not in force and invalid documents each count under their own heading."""
    documents = [
        {"framework": "clas", "review": {"date": "2018-03-16", "recommendations": 0}, "services_reviewed": ["gp"]},
        {"framework": "clas", "review": {"date": "2012-03-16", "recommendations": 0}, "services_reviewed": []},
        {"framework": "clas", "review": {"date": "2018-03-16"}, "services_reviewed": "gp"},
        {
            "framework": "jtai",
            "inspection": {"date": "2022-03-10", "model": "thematic"},
            "lead_inspectorate": "ofsted",
            "inspectorates": ["ofsted", "cqc", "hmicfrs"],
            "agencies": ["police"],
            "evaluated": ["front_door"],
        },
    ]
    counted: dict[Tally, int] = {}
    for document in documents:
        tally = render(bundled.evaluate(document), "jsonl", explain=False, ranks={}).tally
        counted[tally] = counted.get(tally, 0) + 1
    assert Tally.sum(counted) == Tally(evaluated=1, not_in_force=1, invalid=1, undetermined=1)


def _evaluated(judgements: object, checks: object) -> Result:
    """An evaluated result of framework `f` holding these decisions (by name, or `result.Unmade`)."""
    import datetime

    return Result(
        framework="f",
        framework_title="F",
        rules_digest="sha256:0",
        source=None,
        subject=None,
        as_of=datetime.date(2024, 1, 1),
        as_of_from="argument",
        status="evaluated",
        judgements=judgements,  # type: ignore[arg-type]
        checks=checks,  # type: ignore[arg-type]
    )


def test_a_rule_that_failed_on_one_item_makes_the_document_failed() -> None:
    """An error anywhere (a judgement, a check, one item of a for-each) counts as failed,
    before anything undetermined; with neither, undetermined."""

    from framework_dsl.result import Decision

    decided = Decision("decided", value="x", label="X", rule="f.fw:1", inputs={})
    undetermined = Decision("undetermined", rule="f.fw:2", missing=("/a",))
    failed = Decision("error", item="/xs/1", rule="f.fw:3", error="division by zero")

    def tally(judgements: dict[str, object], checks: dict[str, object]) -> Tally:
        return render(_evaluated(judgements, checks), "jsonl", explain=False, ranks={}).tally

    assert tally({"a": decided, "b": undetermined}, {}) == Tally(undetermined=1)
    assert tally({"a": undetermined, "each": (decided, failed)}, {}) == Tally(failed=1)
    assert tally({"a": decided}, {"c": failed}) == Tally(failed=1)
    assert tally({"a": decided}, {"c": (decided,)}) == Tally(evaluated=1)


@pytest.mark.parametrize(
    ("entries", "ending"),
    [
        ((("decided",), ()), "evaluated"),  # a decided decision's fields; a for-each with no items
        ((("decided",), ("not_in_force",)), "evaluated"),
        ((("decided",), ("undetermined",)), "undetermined"),
        ((("decided", "undetermined"),), "undetermined"),  # a for-each item undetermined
        ((("undetermined",), ("decided", "error")), "failed"),  # an error counts before
        ((("error",), ("undetermined",)), "failed"),
    ],
)
def test_a_results_ending_is_the_same_from_its_entries_unmade_and_its_records(
    entries: tuple[tuple[str, ...], ...], ending: str
) -> None:
    """`Result.ending`, which the summary counts, reads a result whose decisions are not made
    yet (`result.Unmade`: a decided decision's fields, records, a for-each decision's records)
    as it reads the records, and agrees with `all_decided` and `any_error`."""
    import datetime

    from framework_dsl.result import Decision, made_decisions

    def record(status: str, item: str | None) -> Decision:
        if status == "not_in_force":
            dates = (datetime.date(2030, 1, 1), None, datetime.date(2024, 1, 1))
            return Decision(status, item=item, value=dates, reason="not yet", rule="f.fw:4")
        return Decision(status, item=item, rule="f.fw:2", missing=("/a",), error="no" if status == "error" else None)

    def entry(statuses: tuple[str, ...]) -> object:
        if len(statuses) == 1 and statuses[0] == "decided":  # as the generated code hands it over
            return Decision("decided", value="x", label="X", rule="f.fw:1", inputs={})._fields
        if len(statuses) == 1:
            return record(statuses[0], None)
        return tuple(record(s, f"/xs/{i}") for i, s in enumerate(statuses))  # a for-each's records

    names = tuple(f"d{i}" for i in range(len(entries)))
    unmade = (names, tuple(entry(statuses) for statuses in entries))
    results = [_evaluated(group, {}) for group in (unmade, made_decisions(unmade))]
    for result in results:
        assert result.ending() == ending
        assert result.all_decided() is (ending == "evaluated")
        assert result.any_error() is (ending == "failed")
        assert render(result, "jsonl", explain=False, ranks={}).needs_attention is (ending != "evaluated")
    assert results[0].to_json_bytes() == results[1].to_json_bytes()
