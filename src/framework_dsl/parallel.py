"""Batch evaluation in worker processes, results in input order.

The parent hands out units of work and writes what comes back; the workers do the
rest. A unit is either a run of lines of a `.jsonl` file, given as a byte range that
the worker reads itself (so document bytes never pass between processes), or a few
inputs the parent has read (single files, standard input). Each worker evaluates its
unit's documents and sends back the unit's finished output (the bytes of JSON, JSONL or
text, already joined as the format joins documents) with what the command needs to know
to end (problems to report, two flags), so the parent only writes, once per unit. When
the report goes to a file ("direct"), the bytes do not come back at all: the worker
sends their size, the parent (which keeps the input order) tells it where in the file
they go, and a thread of the worker writes them there with `os.pwrite`; the parent
writes only the separators between units. Moving every byte through the parent cost
about a tenth of the run on two cores.

Where the platform can fork, workers start as copies of the parent, with its rules
already loaded; elsewhere they are spawned and load the rules from the per-user cache.
Each unit goes to the worker with the fewest units in hand, so no worker waits for a
slower one; at most `jobs * 4` units are out at once, so memory stays bounded however
long the input is, and results come back in input order.
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import errno
import functools
import io
import multiprocessing
import multiprocessing.connection
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs
import click

from framework_dsl.evidence import DEFAULT_LIMITS, Limits
from framework_dsl.inputs import EvidenceInput, JsonlFile, Rendered, evaluate_input, lines_inputs, render
from framework_dsl.ruleset import RuleSet, load_rules


@attrs.frozen
class LineRange:
    """Lines of a `.jsonl` file, `first_number` onwards, in bytes `start` to `stop`."""

    path: str
    shown: str
    start: int
    stop: int
    first_number: int


Unit = LineRange | list[EvidenceInput]


# What a worker is handed to find its rules by: a loaded rule set (forked workers), the
# paths to load it from (spawned workers), or a list of those (several rule sets).
Handed = RuleSet | tuple[str, ...] | list[Any]


def _init(rules: Handed) -> Any:
    """Set up a worker process; its rule set (a list of them, for a list handed)."""
    # A forked worker inherits the command's SIGTERM handler, which exits by raising
    # SystemExit from wherever the worker is; it dies of SIGTERM at once instead, as a
    # spawned worker does.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Ctrl-C reaches every process of the terminal's group: the parent stops the run
    # and its workers, so a worker ignores it rather than print a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return _load(rules)


def _load(rules: Handed) -> Any:
    if isinstance(rules, list):
        return [_load(one) for one in rules]
    return rules if isinstance(rules, RuleSet) else load_rules(*rules)


def unit_inputs(unit: Unit) -> Iterator[EvidenceInput]:
    """The documents of one unit of work, in order (a worker reads a run of `.jsonl` lines itself)."""
    return _read(unit) if isinstance(unit, LineRange) else iter(unit)


def _evaluate_unit(options: tuple[Any, ...], rule_set: RuleSet, unit: Unit) -> Rendered:
    return _work(rule_set, options, unit)  # looked up when called, so a test can stand in for it


def _work(rule_set: RuleSet, options: tuple[Any, ...], unit: Unit) -> Rendered:
    """Evaluate and write out the documents of one unit, as one piece."""
    as_of, framework, explain, limits, output_format, ranks = options
    parts = [
        render(
            evaluate_input(rule_set, item, as_of=as_of, framework=framework, explain=explain, limits=limits),
            output_format,
            explain=explain,
            ranks=ranks,
        )
        for item in (_read(unit) if isinstance(unit, LineRange) else unit)
    ]
    return Rendered.join(parts, output_format)


def _read(unit: LineRange) -> Iterator[EvidenceInput]:
    try:
        with Path(unit.path).open("rb") as handle:
            handle.seek(unit.start)
            data = handle.read(unit.stop - unit.start)
    except OSError as error:
        yield EvidenceInput(f"{unit.shown}:{unit.first_number}", None, f"the file cannot be read: {error.strerror}")
        return
    yield from lines_inputs(io.BytesIO(data), unit.shown, unit.first_number)  # split as a file splits


def split_jsonl(source: JsonlFile, lines_per_unit: int) -> Iterator[Unit]:
    """The file as byte ranges of `lines_per_unit` lines (the parent reads it once, quickly)."""
    try:
        with source.path.open("rb") as handle:
            start = position = 0
            first = number = 1
            for line in handle:
                position += len(line)
                if number - first + 1 == lines_per_unit:
                    yield LineRange(str(source.path), source.shown, start, position, first)
                    start, first = position, number + 1
                number += 1
            if position > start:
                yield LineRange(str(source.path), source.shown, start, position, first)
    except OSError as error:
        yield [EvidenceInput(source.shown, None, f"the file cannot be read: {error.strerror}")]


def units_of(sources: Iterable[EvidenceInput | JsonlFile], per_unit: int) -> Iterator[Unit]:
    """`sources` in units of work of at most `per_unit` documents, in order (a `.jsonl` file as runs of lines)."""
    return _units(sources, per_unit)


def _units(sources: Iterable[EvidenceInput | JsonlFile], per_unit: int) -> Iterator[Unit]:
    batch: list[EvidenceInput] = []
    for source in sources:
        if isinstance(source, JsonlFile):
            if batch:
                yield batch
                batch = []
            yield from split_jsonl(source, per_unit)
            continue
        batch.append(source)
        if len(batch) == per_unit:
            yield batch
            batch = []
    if batch:
        yield batch


def evaluate_parallel(
    rules: tuple[str, ...],
    sources: Iterable[EvidenceInput | JsonlFile],
    *,
    rule_set: RuleSet | None = None,
    as_of: datetime.date | None,
    framework: str | None,
    explain: bool,
    jobs: int,
    output_format: str,
    ranks: dict[str, int],
    limits: Limits = DEFAULT_LIMITS,
    per_unit: int = 128,
    direct: bool = False,
) -> Iterator[Rendered]:
    """Evaluate and write out every input of `sources` with `jobs` processes, in input order.

    Yields one `Rendered` per unit of work: the output of up to `per_unit` documents.
    With `direct`, the output stays with the worker that wrote it: the `Rendered` has no
    `data` but a `write_into(out)`, which has the worker write it into the seekable file
    `out` at `out`'s position (the bytes never pass through the parent). Every unit with
    documents must then be written that way, in order, each before the next is asked for
    (the workers are finished once the last one has been).

    `rule_set` (the parent's, already loaded) is handed to forked workers as it is;
    spawned workers load `rules` themselves.

    Each worker has a pipe of its own for work and one for results, so no lock is shared
    between processes: a worker killed at any moment cannot leave the others, or the
    parent, waiting on a lock it held. A thread of the parent hands out the units, each
    to the worker with the fewest not yet answered, so neither side can block the other
    on a full pipe and a worker on a slower core is given less. A worker answers its
    units in the order it was given them; the parent reads every answer as it comes and
    yields them in input order.
    """
    direct = direct and hasattr(os, "pwrite")  # elsewhere the output comes back as bytes
    options = (as_of, framework, explain, limits, output_format, ranks)
    yield from map_units(
        [rule_set] if rule_set is not None else None,
        [rules],
        functools.partial(_evaluate_unit, options),
        _units(sources, per_unit),
        jobs=jobs,
        direct=direct,
        single=True,
    )


def map_units(
    loaded: list[RuleSet] | None,
    paths: list[tuple[str, ...]],
    task: Callable[..., Any],
    units: Iterable[Unit],
    *,
    jobs: int,
    direct: bool = False,
    single: bool = False,
) -> Iterator[Any]:
    """`task(rule sets, unit)` for every unit, in `jobs` worker processes; the answers in the units' order.

    The workers get the rule sets `loaded` as they are where the platform can fork, and
    otherwise load them from `paths` (one tuple of paths per rule set); `task` is called
    with the list of rule sets, or with the one rule set when `single`. It must be
    picklable (a module's function, or a `functools.partial` of one). At most `jobs * 4`
    units are out at once. `direct` is `evaluate_parallel`'s, for `Rendered` answers.
    """
    forking = "fork" in multiprocessing.get_all_start_methods() and loaded is not None
    context = multiprocessing.get_context("fork" if forking else "spawn")
    chosen: list[Any] = list(loaded) if forking and loaded is not None else list(paths)
    handed: Handed = chosen[0] if single else chosen
    workers: list[_Worker] = []
    for _ in range(jobs):
        parent_ends = [end for w in workers for end in w.ends()]
        workers.append(_Worker(context, handed, task, parent_ends, direct))
    order: queue.Queue[int | None] = queue.Queue(maxsize=jobs * 4)  # bounds the work out at once
    failed: list[BaseException] = []
    stop = threading.Event()
    held: dict[int, str] = {}  # unit number -> the inputs it holds, for a worker that stops
    # Each worker's units, in the order it was given them (it answers in that order), by
    # number, until its answer is read; the feeder appends, the reading side pops.
    given: list[collections.deque[int]] = [collections.deque() for _ in range(jobs)]

    def hand_out() -> None:
        try:
            for index, unit in enumerate(units):
                if stop.is_set():
                    return
                held[index] = _describe(unit)
                # To the worker with the fewest units not yet answered: one whose core is
                # slower (shared with another process, say) is given less, and the
                # others do not wait for it.
                chosen = min(range(jobs), key=lambda number: len(given[number]))
                given[chosen].append(index)
                order.put(index)
                workers[chosen].tasks.send(unit)
        except BaseException as error:  # reported by the reading side, in the main thread
            failed.append(error)
        finally:
            order.put(None)

    feeder = threading.Thread(target=hand_out, name="framework-dsl hand-out", daemon=True)
    feeder.start()
    answered: dict[int, Any] = {}  # unit number -> its answer, read before its turn
    listening = {worker.results: number for number, worker in enumerate(workers)}
    results = list(listening)
    try:
        while (index := order.get()) is not None:
            while index not in answered:
                # Every answer that has come, from any worker, so each worker's count of
                # units in hand stays current for the feeder.
                for ready in multiprocessing.connection.wait(results):
                    number = listening[ready]
                    arrived = given[number][0] if given[number] else None  # None: it stopped between units
                    try:
                        answer = workers[number].receive()
                    except WorkerStopped as error:
                        if arrived is None:
                            raise WorkerStopped(f"{error.message}, between two pieces of work") from None
                        shown = held.get(arrived, "an unknown input")
                        raise WorkerStopped(f"{error.message}, while it held {shown}") from None
                    assert arrived is not None, "a worker answered a unit it was not given"
                    answered[arrived] = answer
                    given[number].popleft()
            held.pop(index, None)
            yield answered.pop(index)
        if failed:
            raise failed[0]
        for worker in workers:
            worker.finish()
    finally:
        stop.set()
        for worker in workers:
            worker.stop()
        # The feeder ends before this does, so that no thread outlives the run (a process
        # that forks workers again must have none): one blocked on the full queue, or
        # about to put its end mark there, is let through.
        while feeder.is_alive():
            with contextlib.suppress(queue.Empty):
                order.get_nowait()
            feeder.join(0.01)


class WorkerStopped(click.ClickException):
    """A worker process died (killed, or out of memory): the run stops with exit 4 and says which input it held."""

    exit_code = 4

    def __init__(self, message: str) -> None:
        super().__init__(message + "; the run stopped (a report at --output is left as it was)")

    def format_message(self) -> str:
        return self.message


def _describe(unit: Unit) -> str:
    """The inputs a unit holds, as a person finds them: `file.jsonl` lines 3-130, or the files' names."""
    if isinstance(unit, LineRange):
        return f"lines from {unit.first_number} of {unit.shown}"
    names = [item.source for item in unit]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return shown or "no input"


def _widen(connection: Any) -> None:
    """Let a pipe hold a whole unit's output (Linux; elsewhere the pipe stays as it is)."""
    try:
        import fcntl

        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


class _Worker:
    """One worker process, with its own pipes for work and for results (and, direct, for places)."""

    def __init__(
        self,
        context: Any,
        rules: Handed,
        task: Callable[..., Any],
        inherited: list[Any],
        direct: bool,
    ) -> None:
        work_in, self.tasks = context.Pipe(duplex=False)
        self.results, results_out = context.Pipe(duplex=False)
        places_in: Any = None
        self.places: Any = None
        if direct:
            places_in, self.places = context.Pipe(duplex=False)
        _widen(self.results)
        self.placed = 0  # units of this worker's written into the output so far
        self.process = context.Process(
            target=_serve,
            args=(work_in, results_out, places_in, rules, task, [*self.ends(), *inherited]),
            name="framework-dsl worker",
            daemon=True,
        )
        self.process.start()
        for end in (work_in, results_out, places_in):
            if end is not None:
                end.close()

    def ends(self) -> list[Any]:
        """The parent's ends of this worker's pipes."""
        return [self.tasks, self.results] + ([self.places] if self.places is not None else [])

    def receive(self) -> Any:
        try:
            done: Any = self.results.recv()
        except EOFError:
            raise self._why_stopped() from None
        if isinstance(done, Exception):  # direct: the worker could not write an earlier unit
            raise done
        if self.places is not None and isinstance(done, tuple):  # direct: (size, the unit without its output)
            size, rendered = done
            return attrs.evolve(rendered, write_into=self._placer(size))
        return done

    def _placer(self, size: int) -> Callable[[Any], None]:
        def write_into(out: Any) -> None:
            """Have the worker write the unit's `size` bytes into `out` at its position; skip past them."""
            if size == 0:
                return
            if self.places.closed:
                raise RuntimeError("a unit of direct output must be written before the next one is asked for")
            offset = out.tell()
            try:
                status = os.fstat(out.fileno())
                identity: tuple[int, int] | None = (status.st_dev, status.st_ino)
            except (OSError, AttributeError, io.UnsupportedOperation):  # not a file of the system's
                identity = None
            try:
                self.places.send((self.placed, out.name, offset, identity))
            except OSError:  # the worker has stopped: it failed on an earlier unit
                raise self._why_stopped() from None
            self.placed += 1
            out.seek(offset + size)

        return write_into

    def finish(self) -> None:
        """Tell the worker the work is done, wait for it, and report what it could not write."""
        try:
            self.tasks.send(None)
            if self.places is not None:
                self.places.send(None)
        except OSError:  # it has stopped already
            raise self._why_stopped() from None
        self.process.join()
        if self.process.exitcode != 0:
            raise self._why_stopped()

    def _why_stopped(self) -> Exception:
        """What a worker that stopped early said last (what it could not write), else that it stopped."""
        try:
            while True:
                said = self.results.recv()
                if isinstance(said, Exception):
                    return said
        except (EOFError, OSError):
            pass
        self.process.join(5)
        code = self.process.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return WorkerStopped(f"a worker process stopped unexpectedly ({how})")

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()
        self.process.join()
        for end in self.ends():
            with contextlib.suppress(OSError):  # an end already gone: nothing left to release
                end.close()


def _serve(
    work: Any,
    results: Any,
    places: Any,
    rules: Handed,
    task: Callable[..., Any],
    parent: list[Any],
) -> None:
    """A worker's life: evaluate units until told to stop, or until the parent is gone.

    With `places` (direct output), each unit's output waits here until the parent says
    where in the output file it goes, and a thread writes it there; the parent hands out
    at most `jobs * 4` units at once, so few wait.
    """
    for connection in parent:  # the parent's ends, copied into a forked child: only the parent keeps them
        connection.close()
    rule_set = _init(rules)
    outbox: queue.SimpleQueue[tuple[int, bytes]] = queue.SimpleQueue()
    failure: list[Exception] = []
    placer = None
    if places is not None:
        # A daemon, so a worker that stops on a failure does not wait for it; on a normal
        # finish it is joined below, after the parent's last place.
        placer = threading.Thread(
            target=_place_all, args=(places, outbox, failure), name="framework-dsl place", daemon=True
        )
        placer.start()
    sized = 0
    while True:
        try:
            unit = work.recv()
        except EOFError:  # the parent is gone
            return
        if unit is None:
            break
        done = task(rule_set, unit)
        message: Any = done
        if places is not None:
            data = done.data or b""
            if data:
                outbox.put((sized, data))
                sized += 1
            message = (len(data), attrs.evolve(done, data=None))
        # Read once: the placing thread may record a failure at any moment, and a worker
        # that stopped without saying why would leave the parent waiting for it.
        problem = failure[0] if failure else None
        if problem is not None:  # an earlier unit could not be written: say so instead, and stop
            message = problem
        try:
            results.send(message)
        except OSError:  # the parent is gone (a broken pipe): nobody is left to tell
            return
        if problem is not None:
            sys.exit(1)
    if placer is not None:
        placer.join()
        if failure:
            results.send(failure[0])
            sys.exit(1)


def _place_all(places: Any, outbox: queue.SimpleQueue[tuple[int, bytes]], failure: list[Exception]) -> None:
    """Write each finished unit where the parent says, in order, until told to stop.

    After a failure the places are still read (and the units dropped), so the parent is
    never left blocked on a full pipe; the worker reports the failure instead of its
    next unit.
    """
    handle: int | None = None
    try:
        while (place := places.recv()) is not None:
            number, path, offset, identity = place
            held, data = outbox.get()
            if failure:
                continue
            try:
                if held != number:  # pragma: no cover - a unit placed out of turn is a bug
                    raise RuntimeError(f"unit {number} placed, but unit {held} is next")
                if handle is None:
                    # Reopened by name: never through a link, and only the very file the parent holds.
                    handle = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
                    status = os.fstat(handle)
                    if identity is not None and (status.st_dev, status.st_ino) != identity:
                        raise OSError(errno.ESTALE, "the temporary report was replaced while it was written", path)
                view = memoryview(data)
                while view:
                    written = os.pwrite(handle, view, offset)
                    view = view[written:]
                    offset += written
            except (OSError, RuntimeError) as error:
                failure.append(error)
    except EOFError:  # the parent is gone
        return
    finally:
        if handle is not None:
            os.close(handle)
