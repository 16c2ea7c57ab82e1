"""Batch evaluation in worker processes: how .jsonl files are split, and both ways of starting workers."""

from __future__ import annotations

import functools
import io
import json
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest

from framework_dsl import RuleSet
from framework_dsl.inputs import EvidenceInput, JsonlFile, Rendered, evaluate_input, iter_inputs, iter_sources, render
from framework_dsl.parallel import LineRange, _read, evaluate_parallel, map_units, split_jsonl

REPO = Path(__file__).resolve().parents[2]
CLAS = REPO / "examples" / "clas"


@pytest.mark.parametrize("text", ["", "a\n", "a\nb", "a\n\nb\n", "a\r\nb\n\n\nc", "\n\n\n", "x\n" * 10])
@pytest.mark.parametrize("per_unit", [1, 2, 3, 64])
def test_split_ranges_cover_the_file_and_number_its_lines(tmp_path: Path, text: str, per_unit: int) -> None:
    """The byte ranges tile the file, and reading them gives exactly the lines, numbers and bytes the file holds."""
    path = tmp_path / "f.jsonl"
    path.write_bytes(text.encode())
    units = list(split_jsonl(JsonlFile(path, str(path)), per_unit))
    assert all(isinstance(u, LineRange) for u in units)
    ranges = [(u.start, u.stop) for u in units if isinstance(u, LineRange)]
    starts, stops = [start for start, _ in ranges], [stop for _, stop in ranges]
    assert starts[:1] in ([], [0]) and starts[1:] == stops[:-1]
    assert (stops[-1] if stops else 0) == len(text.encode())
    read = [
        (item.source, item.data)
        for u in units
        if isinstance(u, LineRange)
        for item in _read(u)  # what a worker reads: the range, from the file
    ]
    whole = [(item.source, item.data) for item in iter_inputs((str(path),), io.BytesIO())]
    assert read == whole


def _batch(tmp_path: Path, bundled: RuleSet, count: int, output_format: str) -> tuple[Path, list[Rendered]]:
    """A `.jsonl` of `count` bundled CLAS examples in turn, and each one's output as one process writes it."""
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(CLAS.glob("*.json"))]
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(documents[i % len(documents)]) + "\n" for i in range(count)), encoding="utf-8")
    serial = [
        render(
            evaluate_input(bundled, item, as_of=None, framework=None, explain=False),
            output_format,
            explain=False,
            ranks={},
        )
        for item in iter_inputs((str(path),), io.BytesIO())
    ]
    return path, serial


def test_spawned_and_forked_workers_give_the_serial_results(tmp_path: Path, bundled: RuleSet) -> None:
    """Workers started either way write what one process writes, in input order."""
    path, serial = _batch(tmp_path, bundled, 40, "jsonl")
    options = {"as_of": None, "framework": None, "explain": False, "output_format": "jsonl", "ranks": {}}
    forked = evaluate_parallel(
        (), iter_sources((str(path),), io.BytesIO()), rule_set=bundled, jobs=2, per_unit=7, **options
    )
    spawned = evaluate_parallel(
        (), iter_sources((str(path),), io.BytesIO()), rule_set=None, jobs=2, per_unit=7, **options
    )
    expected = Rendered.join(serial, "jsonl")
    assert expected.count == 40
    for blocks in (list(forked), list(spawned)):
        # one piece per unit of 7 lines, in order; put together, the serial output
        assert [block.count for block in blocks] == [7, 7, 7, 7, 7, 5]
        assert Rendered.join(blocks, "jsonl") == expected


def test_a_unit_of_blank_lines_comes_back_empty_and_joins_to_nothing(tmp_path: Path, bundled: RuleSet) -> None:
    """Blank lines are skipped, so a unit can hold no document: it adds no separator to the output."""
    line = json.dumps(json.loads((CLAS / "complete.json").read_text(encoding="utf-8")))
    path = tmp_path / "gaps.jsonl"
    path.write_text(f"{line}\n{line}\n\n\n{line}\n", encoding="utf-8")  # units of two lines: 2, 0 and 1 documents
    options = {"as_of": None, "framework": None, "explain": False, "output_format": "json", "ranks": {}}
    blocks = list(
        evaluate_parallel((), iter_sources((str(path),), io.BytesIO()), rule_set=bundled, jobs=2, per_unit=2, **options)
    )
    assert [block.count for block in blocks] == [2, 0, 1]
    assert blocks[1].data == b"" and not blocks[1].needs_attention
    joined = Rendered.join(blocks, "json")
    assert joined.data == blocks[0].data + b",\n" + blocks[2].data


def test_direct_output_is_written_by_the_workers_where_the_parent_says(tmp_path: Path, bundled: RuleSet) -> None:
    """Direct: units come back without their bytes; placed in a file in order, they are the serial output."""
    path, serial = _batch(tmp_path, bundled, 30, "json")
    options = {"as_of": None, "framework": None, "explain": False, "output_format": "json", "ranks": {}}
    for rule_set in (bundled, None):  # forked and spawned workers
        report = tmp_path / "report.json"
        with report.open("wb") as out:
            for block in evaluate_parallel(
                (),
                iter_sources((str(path),), io.BytesIO()),
                rule_set=rule_set,
                jobs=2,
                per_unit=4,
                direct=True,
                **options,
            ):
                assert block.data is None and block.write_into is not None
                out.write(b"<" if block.count else b"")  # the parent's own bytes stay between the units
                block.write_into(out)
        expected = b"".join(
            b"<" + part for part in (Rendered.join(serial[i : i + 4], "json").data or b"" for i in range(0, 30, 4))
        )
        assert report.read_bytes() == expected


@pytest.mark.parametrize(("lines", "per_unit"), [(1, 128), (40, 2)])  # told at the end; told at its next unit
def test_a_worker_that_cannot_write_its_output_fails_the_run(
    tmp_path: Path, bundled: RuleSet, lines: int, per_unit: int
) -> None:
    """A worker that cannot write where it is told ends the run with the error it met, not a short report."""
    path = tmp_path / "batch.jsonl"
    line = json.dumps(json.loads((CLAS / "complete.json").read_text(encoding="utf-8")))
    path.write_text(f"{line}\n" * lines, encoding="utf-8")
    options = {"as_of": None, "framework": None, "explain": False, "output_format": "jsonl", "ranks": {}}

    class Gone(io.BytesIO):
        name = str(tmp_path / "no-such-folder" / "report.jsonl")  # the worker opens the output by name

    blocks = evaluate_parallel(
        (),
        iter_sources((str(path),), io.BytesIO()),
        rule_set=bundled,
        jobs=2,
        per_unit=per_unit,
        direct=True,
        **options,
    )
    with pytest.raises(FileNotFoundError, match="no-such-folder"):
        for block in blocks:
            assert block.write_into is not None
            block.write_into(Gone())


def test_direct_units_must_be_written_as_they_come(tmp_path: Path, bundled: RuleSet) -> None:
    """Reading every unit before writing any finishes the workers first; writing then says what went wrong."""
    path = tmp_path / "batch.jsonl"
    line = json.dumps(json.loads((CLAS / "complete.json").read_text(encoding="utf-8")))
    path.write_text(f"{line}\n", encoding="utf-8")
    options = {"as_of": None, "framework": None, "explain": False, "output_format": "jsonl", "ranks": {}}
    blocks = list(
        evaluate_parallel(
            (), iter_sources((str(path),), io.BytesIO()), rule_set=bundled, jobs=2, direct=True, **options
        )
    )
    assert [block.count for block in blocks] == [1]
    write_into = blocks[0].write_into
    assert write_into is not None
    with (tmp_path / "out.jsonl").open("wb") as out, pytest.raises(RuntimeError, match="before the next one"):
        write_into(out)


def _first_claimant_is_slow(marker: str, rule_set: RuleSet, unit: list[EvidenceInput]) -> tuple[int, str]:
    """A task for `map_units`: the worker that creates `marker` first takes 0.1 s a unit, the other none."""
    try:
        claimed = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        pass
    else:
        os.write(claimed, str(os.getpid()).encode())
        os.close(claimed)
    if Path(marker).read_text(encoding="utf-8") == str(os.getpid()):
        time.sleep(0.1)
    return os.getpid(), unit[0].source


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_slow_worker_is_given_fewer_units_and_the_answers_keep_their_order(tmp_path: Path, bundled: RuleSet) -> None:
    """Units go to the worker with the fewest in hand, so the fast one is not held to the slow one's pace."""
    marker = str(tmp_path / "slow")
    units = [[EvidenceInput(f"u{number}", None)] for number in range(24)]
    answers = list(
        map_units([bundled], [()], functools.partial(_first_claimant_is_slow, marker), units, jobs=2, single=True)
    )
    assert [source for _, source in answers] == [f"u{number}" for number in range(24)]
    slow = int(Path(marker).read_text(encoding="utf-8"))
    done_by_slow = sum(pid == slow for pid, _ in answers)
    assert 1 <= done_by_slow < 24 - done_by_slow  # handed out in turn, each would do 12


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_direct_output_is_in_order_when_one_worker_is_slow(
    tmp_path: Path, bundled: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Units split unevenly between the workers are still placed in the report in input order."""
    from framework_dsl import parallel

    marker = str(tmp_path / "slow")
    real_work = parallel._work

    def work(rule_set: RuleSet, options: Any, unit: Any) -> Any:  # a forked worker inherits the patch
        _first_claimant_is_slow(marker, rule_set, [EvidenceInput("unit", None)])
        return real_work(rule_set, options, unit)

    monkeypatch.setattr(parallel, "_work", work)
    path, serial = _batch(tmp_path, bundled, 24, "jsonl")
    options = {"as_of": None, "framework": None, "explain": False, "output_format": "jsonl", "ranks": {}}
    report = tmp_path / "report.jsonl"
    with report.open("wb") as out:
        for block in evaluate_parallel(
            (), iter_sources((str(path),), io.BytesIO()), rule_set=bundled, jobs=2, per_unit=2, direct=True, **options
        ):
            assert block.write_into is not None
            out.write(b"|")
            block.write_into(out)
    expected = b"".join(b"|" + (Rendered.join(serial[i : i + 2], "jsonl").data or b"") for i in range(0, 24, 2))
    assert report.read_bytes() == expected


def _source(rule_set: RuleSet, unit: list[EvidenceInput]) -> str:
    """A task for `map_units`: the unit's first input's name."""
    return unit[0].source


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
@pytest.mark.parametrize("read", [100, 1])
def test_no_thread_of_a_run_outlives_it(bundled: RuleSet, read: int) -> None:
    """Once `map_units` is read to the end, or closed after its first answer (the feeder then
    blocked on a full queue), its feeder thread is gone: a later run forks beside no thread."""
    import threading

    units = [[EvidenceInput(f"u{number}", None)] for number in range(100)]
    answers = map_units([bundled], [()], _source, units, jobs=2, single=True)
    got = [answer for answer, _ in zip(answers, range(read), strict=False)]
    answers.close()
    assert got == [f"u{number}" for number in range(read)]
    assert [thread.name for thread in threading.enumerate() if thread.name == "framework-dsl hand-out"] == []
