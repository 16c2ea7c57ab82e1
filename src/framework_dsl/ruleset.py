"""The Python API: load rules once, evaluate evidence many times.

`load_rules()` runs load -> parse -> check and returns an immutable `RuleSet`, or
raises `RuleError` carrying every diagnostic. `RuleSet.evaluate()` picks the
framework named by the evidence, validates the evidence, settles the evaluation date,
and runs the evaluator. It never raises for bad evidence: the result's status says
what was wrong. A `RuleSet` holds no mutable state, so threads may share one.
"""

from __future__ import annotations

import datetime
import threading
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from framework_dsl import bundle, cache, ir
from framework_dsl.diagnostics import Diagnostic, Severity, did_you_mean, has_errors, sort_diagnostics
from framework_dsl.engine.builder import Program
from framework_dsl.engine.codegen import CompiledFramework, FrameworkProgram, framework_program, load_framework
from framework_dsl.engine.fusion import Settled, fusable, fused_program, load_fused, settle
from framework_dsl.engine.reference import Evaluation
from framework_dsl.engine.safety import UnsafeCodeError
from framework_dsl.evidence import (
    DEFAULT_LIMITS,
    MISSING,
    Limits,
    RecordValue,
    free_form_depth,
    json_type_name,
    parse_json,
    validate,
)
from framework_dsl.evidence_compiler import CompiledValidator, compile_validator, compiled_form
from framework_dsl.programs import ProgramStore, program_key
from framework_dsl.resources import bundled_rules_root, find_rules_root
from framework_dsl.result import Outcomes, Result, Unmade, set_record_fields

_new_object = object.__new__
_T = TypeVar("_T")


class RuleError(Exception):
    """The rules have errors. `diagnostics` lists every one of them."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.severity is Severity.ERROR]
        first = errors[0] if errors else None
        where = f" ({first.span.location})" if first is not None and first.span is not None else ""
        summary = f"{len(errors)} error(s) in the rules"
        if first is not None:
            summary += f"; first: {first.message}{where}"
        super().__init__(summary)


def _read_only(frameworks: Mapping[str, ir.Framework]) -> Mapping[str, ir.Framework]:
    if isinstance(frameworks, bundle.LazyFrameworks):  # read-only already; copying would unpickle every one
        return frameworks
    return types.MappingProxyType(dict(frameworks))


Clock = Callable[[], datetime.date]


def system_clock() -> datetime.date:
    """Today's date from the system clock: the only place the engine reads the wall clock.

    A `RuleSet` calls it only for evidence that gives no date of its own, when the caller
    gave none either; the result then says `"as_of_from": "clock"`.
    """
    return datetime.date.today()


def system_time() -> datetime.datetime:
    """The current time (UTC) from the system clock, beside `system_clock` so that both
    wall-clock reads live here. Only the decision service's log uses it, to stamp when a
    receipt was written; no result depends on it."""
    return datetime.datetime.now(datetime.UTC)


@attrs.frozen(eq=False)
class RuleSet:
    """Checked frameworks, ready to evaluate evidence. Immutable and thread-safe."""

    frameworks: Mapping[str, ir.Framework] = attrs.field(converter=_read_only)
    digest: str
    diagnostics: tuple[Diagnostic, ...] = ()  # warnings that did not stop loading
    # Where "today" comes from when neither the caller nor the evidence gives a date.
    clock: Clock = attrs.field(default=system_clock, repr=False)
    # Where the checked program came from: "bundle" (the precompiled bundle installed with
    # the package), "cache" (the per-user cache) or "checked" (parsed and checked now).
    origin: str = attrs.field(default="checked", kw_only=True)
    # Where compiled programs are found and kept between processes (`programs`): given by
    # `load_rules`; None compiles every framework afresh in each process. A store answers
    # by the rules' digest and a framework's name, so a rule set built from other
    # frameworks under the same digest (a mutant's, a verifier's cut) is never given one.
    programs: ProgramStore | None = attrs.field(default=None, kw_only=True, repr=False)
    # Compiled forms, built on a framework's first evaluation (and its tracing variant on
    # its first explained one). Compiling is pure, so the lock only keeps the work from
    # being done twice; what is stored never changes.
    _compiled: dict[tuple[str, bool], CompiledFramework] = attrs.field(factory=dict, init=False, repr=False)
    _validators: dict[str, CompiledValidator | None] = attrs.field(factory=dict, init=False, repr=False)
    # framework name -> its `_Route`, made on the first evaluation that takes the compiled
    # path (`_traced_routes`: with explain=True); absent for a framework whose evidence
    # only `validate` checks. Two tables, so that finding one makes no key.
    _routes: dict[str, _Route] = attrs.field(factory=dict, init=False, repr=False)
    _traced_routes: dict[str, _Route] = attrs.field(factory=dict, init=False, repr=False)
    _compile_lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False)

    def prepare(self, *, explain: bool = False) -> RuleSet:
        """Compile every framework now rather than on first use; returns the rule set.

        Services that evaluate on a request path call this once at start-up, so no
        request pays for compiling; this also makes each framework's fused function
        (`engine.fusion`), which evaluation otherwise makes on its `FUSE_AFTER`-th use.
        `explain=True` also compiles the tracing variants.
        """
        for name in self.frameworks:
            for tracing in (False, True) if explain else (False,):
                route = self._route(name, tracing)
                if route is not None and route.until_fused:
                    self._fuse(route)
        return self

    def _route(self, name: str, explain: bool) -> _Route | None:
        """Framework `name`'s route on the compiled path, made once; None when only `validate` checks its evidence."""
        routes = self._traced_routes if explain else self._routes
        route = routes.get(name)
        if route is None:
            compiled = self.compiled(name, tracing=explain)
            validator = self._validators[name]
            if validator is None:
                return None
            # (the evaluation making the route is the first; `evaluate` counts the rest)
            made = _Route(self.frameworks[name], compiled, validator, FUSE_AFTER - 1 if fusable(compiled) else 0)
            route = routes.setdefault(name, made)
        return route

    def compiled(self, name: str, *, tracing: bool = False) -> CompiledFramework:
        """The compiled form of framework `name` (see `framework_dsl.engine.codegen`)."""
        found = self._compiled.get((name, tracing))
        if found is None:
            with self._compile_lock:
                found = self._compiled.get((name, tracing))
                if found is None:
                    framework = self.frameworks[name]
                    found = self._load_compiled(framework, tracing)
                    if name not in self._validators:
                        self._validators[name] = compile_validator(framework)
                    self._compiled[(name, tracing)] = found
        return found

    def _load_compiled(self, framework: ir.Framework, tracing: bool) -> CompiledFramework:
        """`framework` compiled: from its stored program when there is one that loads, else afresh (and then kept)."""
        key = program_key("decisions", framework.name, tracing)
        found = self._stored(key, FrameworkProgram, lambda stored: load_framework(framework, stored))
        if found is not None:
            return found
        tree, made = framework_program(framework, tracing=tracing)
        self._keep(key, made)
        return load_framework(framework, made, tree)

    def _stored(self, key: str, kind: type[Any], load: Callable[[Any], _T]) -> _T | None:
        """What `load` makes of the program stored under `key` (`programs`), if it is a `kind`
        that loads; None when there is none, or it is not this engine's program for it."""
        stored = self.programs.get(key) if self.programs is not None else None
        if not isinstance(stored, kind):
            return None
        try:
            return load(stored)
        except (UnsafeCodeError, ValueError):  # the code check refused it, or it does not fit
            return None

    def _keep(self, key: str, program: Any) -> None:
        """Keep a program just compiled for the next process (`programs`), where this rule set has a store."""
        if self.programs is not None:
            self.programs.put(key, program)

    def compiled_validator(self, name: str) -> CompiledValidator | None:
        """The compiled evidence validator of framework `name` (see `framework_dsl.evidence_compiler`).

        None when the framework's schema is validated by `evidence.validate` alone.
        """
        self.compiled(name)
        return self._validators[name]

    def with_clock(self, clock: Clock) -> RuleSet:
        """The same rules reading "today" from `clock` (tests fix the date this way)."""
        return RuleSet(
            frameworks=self.frameworks,
            digest=self.digest,
            diagnostics=self.diagnostics,
            clock=clock,
            origin=self.origin,
            programs=self.programs,
        )

    def framework(self, name: str) -> ir.Framework:
        """The framework called `name`; `KeyError` if there is none."""
        return self.frameworks[name]

    def evaluate(
        self,
        evidence: Any,
        as_of: datetime.date | str | None = None,
        *,
        framework: str | None = None,
        source: str | None = None,
        explain: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        engine: str = "compiled",
    ) -> Result:
        """Evaluate one evidence document (data parsed from JSON).

        Args:
            evidence: the document, as `json.loads` gives it (a dict; anything else
                gives an `invalid_evidence` result).
            as_of: the evaluation date; default: the evidence's own date field, else
                today's date from the rule set's `clock` (the result's `as_of_from` says which).
            framework: use this framework whatever the evidence's `"framework"` says.
            source: where the evidence came from, copied into the result.
            explain: record the trace of every clause tried.
            limits: bounds on nesting depth, list length and text length.
            engine: "compiled" (the generated code, always used by the commands) or
                "reference" (the tree-walking evaluator it is tested against, with the
                reference validator: the same result, slower; for checking a suspected bug).

        Returns:
            The result; its `status` says whether the evidence was evaluated.

        Raises:
            TypeError: `as_of` is not a date or an ISO date text.
            ValueError: `engine` is neither "compiled" nor "reference".
        """
        as_of_date = as_of if type(as_of) is datetime.date else _as_date(as_of)
        # The common case first: a framework evaluated before, whose compiled validator
        # accepts the document: its fused function (`engine.fusion`) validates, settles
        # the date and decides in one call. Anything else takes the general path
        # (`_validated`), which words every problem.
        # The validated root: its (fields, raw) pair on the compiled path (the compiled
        # validator's form, `evidence_compiler`), its `RecordValue` for the reference engine.
        root: Any = None
        compiled: CompiledFramework | None
        if type(evidence) is dict and engine == "compiled":
            name = evidence.get("framework") if framework is None else framework
            route = (self._traced_routes if explain else self._routes).get(name) if type(name) is str else None
            if route is not None and limits.max_depth >= route.depth:
                subject = evidence.get("subject")
                if subject is None or (type(subject) is dict and free_form_depth(subject, limits.max_depth - 1)):
                    fused = route.fused
                    if fused is not None:
                        given = None
                        if as_of_date is not None and route.undated:
                            last = route.last_settled
                            given = last[1] if last[0] == as_of_date else route.settle_on(as_of_date, self.clock)
                        made = fused(
                            evidence, limits.max_text, limits.max_items, as_of_date, self.clock, source, subject, given
                        )
                        if type(made) is Result:
                            return made
                        if type(made) is tuple:  # valid, and not in force on the dates it settled
                            return self._not_in_force(route.framework, source, subject, made)
                    else:
                        if route.until_fused:
                            route.until_fused -= 1
                            if not route.until_fused:
                                self._fuse(route)
                        root = route.accept(evidence, limits.max_text, limits.max_items)
                        chosen, compiled = route.framework, route.compiled
        if root is None:
            validated = self._validated(evidence, as_of_date, framework, source, explain, limits, engine)
            if isinstance(validated, Result):
                return validated
            chosen, compiled, root, subject = validated
        # Settle the evaluation date, check the framework is in force, and decide.
        dated_by = chosen.dated_by
        dated = evidence_date(root, dated_by) if dated_by else None
        settled = settle(as_of_date, dated, self.clock, chosen.effective_from, chosen.effective_until)
        if not settled[3]:
            return self._not_in_force(chosen, source, subject, settled)
        # Dated judgements, checks and clauses are tested against the date the framework's
        # own dates were: the evidence's `dated by` date, else the evaluation date.
        judgements: Outcomes | Unmade
        checks: Outcomes | Unmade
        if compiled is not None:
            judgements, checks = compiled.decide_unmade(root[0], root[1], settled[0], settled[2])
        else:
            evaluation = Evaluation(chosen, root, settled[0], explain=explain, dated=settled[2])
            judgements, checks = evaluation.decide_all()
        result: Result = _new_object(Result)  # `make_record`, without its call
        set_record_fields(
            result,
            (
                chosen.name,
                chosen.title,
                self.digest,
                source,
                subject,
                settled[0],
                settled[1],
                "evaluated",
                judgements,
                checks,
                (),
                None,
            ),
        )
        return result

    def _fuse(self, route: _Route) -> None:
        """Give `route` its fused function (`engine.fusion`). Compiling is pure; the lock stops it being made twice."""
        with self._compile_lock:
            if route.fused is None:
                route.fused = self._load_fused(route)
            route.until_fused = 0

    def _load_fused(self, route: _Route) -> Callable[..., Any] | None:
        """`route`'s fused function: from its stored program if one loads, else made afresh (and then kept)."""
        framework = route.framework
        key = program_key("fused", framework.name, route.compiled.tracing)
        found = self._stored(key, Program, load_fused)
        if found is not None:
            return found
        made = fused_program(framework, route.compiled, self.digest)
        if made is None:
            return None
        self._keep(key, made[1])
        return load_fused(made[1])

    def _not_in_force(self, chosen: ir.Framework, source: str | None, subject: Any, settled: Settled) -> Result:
        """The result of valid evidence dated outside the framework's dates (`settle`'s last item false)."""
        effective_as_of, as_of_from, in_force_on, _ = settled
        return Result(
            framework=chosen.name,
            framework_title=chosen.title,
            rules_digest=self.digest,
            source=source,
            subject=subject,
            as_of=effective_as_of,
            as_of_from=as_of_from,
            status="not_in_force",
            note=_not_in_force(chosen, in_force_on),
        )

    def _validated(
        self,
        evidence: Any,
        as_of_date: datetime.date | None,
        framework: str | None,
        source: str | None,
        explain: bool,
        limits: Limits,
        engine: str,
    ) -> Result | tuple[ir.Framework, CompiledFramework | None, Any, Any]:
        """The general path: (framework, compiled form or None, validated root, subject), else
        the result saying why the evidence is not evaluated. The root as `evaluate` holds it:
        a (fields, raw) pair, or for `engine="reference"` (`compiled` None) a `RecordValue`."""
        if engine not in ("compiled", "reference"):
            raise ValueError(f'engine must be "compiled" or "reference", not {engine!r}')
        document = source or "<evidence>"
        if not isinstance(evidence, dict):
            data_problem = Diagnostic(
                code="evidence.not-an-object",
                message="an evidence document is a JSON object",
                document=document,
                pointer="",
                expected="a JSON object: {...}",
                found=json_type_name(evidence),
                hint="for many documents, put one per line in a .jsonl file" if isinstance(evidence, list) else None,
            )
            return self._invalid(None, source, None, as_of_date, [data_problem])
        subject = evidence.get("subject")
        name = framework
        if name is None:
            declared = evidence.get("framework")
            name = declared if isinstance(declared, str) else None
        chosen = None if name is None else self.frameworks.get(name)
        if name is None or chosen is None:
            return self._invalid(None, source, subject, as_of_date, [self._framework_problem(evidence, name, document)])
        if subject is not None and not isinstance(subject, dict):
            problem = Diagnostic(
                code="evidence.wrong-type",
                message=f"expected an object, found {json_type_name(subject)}",
                document=document,
                pointer="/subject",
                expected="an object",
                found=json_type_name(subject),
            )
            return self._invalid(chosen, source, None, as_of_date, [problem])
        if subject is not None and not free_form_depth(subject, limits.max_depth - 1):
            problem = Diagnostic(
                code="evidence.too-large",
                message=f"the evidence is nested more than {limits.max_depth} levels deep",
                document=document,
                pointer="/subject",
                expected=f"at most {limits.max_depth} levels",
                found="deeper nesting",
            )
            return self._invalid(chosen, source, None, as_of_date, [problem])
        compiled = None
        root: Any = None
        if engine == "compiled":
            compiled = self._compiled.get((name, explain)) or self.compiled(name, tracing=explain)
            fast_validator = self._validators[name]
            if fast_validator is not None:
                self._route(name, explain)  # made once; `evaluate` takes it from the next document on
            if fast_validator is not None and limits.max_depth >= fast_validator.depth:
                # None: not accepted on the fast path (`CompiledValidator.__call__`)
                root = fast_validator.accept(evidence, limits.max_text, limits.max_items)
        if root is None:
            root, problems = validate(evidence, chosen.evidence, document, limits)
            if root is None:
                return self._invalid(chosen, source, subject, as_of_date, problems)
            if compiled is not None:
                converted = compiled_form(root)  # the form compiled decisions read (`evidence_compiler`)
                root = (converted.fields, converted.raw)
        return chosen, compiled, root, subject

    def evaluate_json(
        self,
        text: str | bytes,
        as_of: datetime.date | str | None = None,
        *,
        framework: str | None = None,
        source: str | None = None,
        explain: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        engine: str = "compiled",
    ) -> Result:
        """Parse evidence JSON text strictly, then `evaluate` it."""
        data, problems = parse_json(text, source or "<evidence>", limits)
        if problems:
            framework_def = self.frameworks.get(framework) if framework else None
            return self._invalid(framework_def, source, None, _as_date(as_of), problems)
        return self.evaluate(
            data, as_of, framework=framework, source=source, explain=explain, limits=limits, engine=engine
        )

    def evaluator(
        self,
        framework: str,
        as_of: datetime.date | str | None = None,
        *,
        explain: bool = False,
        limits: Limits = DEFAULT_LIMITS,
    ) -> Callable[..., Result]:
        """`evaluate` prepared for many documents of one framework: `evaluator(framework)(evidence)`.

        The function returned takes one document (and optionally `source=`) and gives what
        `evaluate(evidence, as_of, framework=framework, source=source, explain=explain,
        limits=limits)` gives, the same result for every document; the arguments are
        checked and the framework compiled (and fused, `engine.fusion`) once, here, so a
        service or a batch that evaluates one framework many times pays none of that per
        document. Like the rule set, it is safe to share between threads.

        Raises:
            ValueError: the rules define no framework `framework`.
            TypeError: `as_of` is not a date or an ISO date text.
        """
        if framework not in self.frameworks:
            hint = did_you_mean(framework, self.frameworks)
            raise ValueError(f"the rules define no framework `{framework}`" + (f"; {hint}" if hint else ""))
        as_of_date = as_of if type(as_of) is datetime.date else _as_date(as_of)
        evaluate = self.evaluate

        def evaluate_one(evidence: Any, *, source: str | None = None) -> Result:
            return evaluate(evidence, as_of_date, framework=framework, source=source, explain=explain, limits=limits)

        route = self._route(framework, explain)
        if route is None or limits.max_depth < route.depth:
            return evaluate_one
        if route.until_fused:
            self._fuse(route)
        fused = route.fused
        if fused is None:
            return evaluate_one
        # `evaluate`'s first path, with what it looks up per document looked up once.
        max_text, max_items, subject_depth, clock = limits.max_text, limits.max_items, limits.max_depth - 1, self.clock
        chosen, not_in_force = route.framework, self._not_in_force
        # A date given, and none in the evidence: every document is settled alike, so once.
        given = route.settle_on(as_of_date, clock) if as_of_date is not None and route.undated else None

        def evaluate_fused(evidence: Any, *, source: str | None = None) -> Result:
            if type(evidence) is dict:
                subject = evidence.get("subject")
                if subject is None or (type(subject) is dict and free_form_depth(subject, subject_depth)):
                    made = fused(evidence, max_text, max_items, as_of_date, clock, source, subject, given)
                    if type(made) is Result:
                        return made
                    if type(made) is tuple:  # valid, and not in force on the dates it settled
                        return not_in_force(chosen, source, subject, made)
            return evaluate(evidence, as_of_date, framework=framework, source=source, explain=explain, limits=limits)

        return evaluate_fused

    def evaluate_many(
        self,
        documents: Iterable[Any],
        as_of: datetime.date | str | None = None,
        *,
        framework: str | None = None,
        explain: bool = False,
        limits: Limits = DEFAULT_LIMITS,
    ) -> Iterator[Result]:
        """Evaluate each document in turn (as `evaluate` does); results come back in the same order."""
        as_of_date = _as_date(as_of)  # a bad date is refused before the first document
        for document in documents:
            yield self.evaluate(document, as_of_date, framework=framework, explain=explain, limits=limits)

    # -- helpers

    def _invalid(
        self,
        framework: ir.Framework | None,
        source: str | None,
        subject: Any,
        as_of: datetime.date | None,
        problems: list[Diagnostic],
    ) -> Result:
        return Result(
            framework=framework.name if framework else None,
            framework_title=framework.title if framework else None,
            rules_digest=self.digest,
            source=source,
            subject=subject if isinstance(subject, dict) else None,
            as_of=as_of,
            as_of_from=None if as_of is None else "argument",
            status="invalid_evidence",
            problems=tuple(sort_diagnostics(problems)),
        )

    def _framework_problem(self, evidence: dict[str, Any], name: str | None, document: str) -> Diagnostic:
        known = sorted(self.frameworks)
        expected = "one of " + ", ".join(known) if known else "a framework the rules define"
        if "framework" not in evidence and name is None:
            return Diagnostic(
                code="evidence.missing-field",
                message="the evidence does not say which framework it is for",
                document=document,
                pointer="/framework",
                expected=expected,
                found="nothing",
                hint='add "framework": "<name>" to the document, or pass --framework',
            )
        shown = evidence.get("framework") if name is None else name
        return Diagnostic(
            code="evidence.unknown-framework",
            message=f"the rules define no framework {json_type_name(shown).removeprefix('the text ')}",
            document=document,
            pointer="/framework",
            expected=expected,
            found=json_type_name(shown),
            hint=did_you_mean(str(shown), known),
        )


# A framework's fused function (`engine.fusion`: validator and decisions in one), and its
# tracing variant's, is made on its FUSE_AFTER-th evaluation (with or without tracing) in a
# process, or by `RuleSet.prepare`, so a run over one document does not pay for compiling
# it. The result is the same either way.
FUSE_AFTER = 8


class _Route:
    """One framework on the compiled path (plain or tracing), looked up once: its IR, compiled decisions
    and fast validator, and once made, the two fused (`engine.fusion`)."""

    __slots__ = ("accept", "compiled", "depth", "framework", "fused", "last_settled", "undated", "until_fused")

    def __init__(
        self, framework: ir.Framework, compiled: CompiledFramework, validator: CompiledValidator, until_fused: int
    ) -> None:
        self.framework = framework
        self.compiled = compiled
        self.accept = validator.accept
        self.fused: Callable[..., Any] | None = None  # `FusedFramework.decide`, once made
        # Evaluations on this route before its fused function is made; 0: made, or not fusable.
        self.until_fused = until_fused
        self.depth = validator.depth  # the nesting it was generated for: shallower limits take the general path
        # With no `dated by`, a given date settles alike for every document (`fusion.settle`):
        # (the date, what `settle` gave on it) for the last date given, replaced whole, so
        # threads sharing the route read one pair or the other, both true.
        self.undated = not framework.dated_by
        self.last_settled: tuple[datetime.date | None, Any] = (None, None)

    def settle_on(self, as_of: datetime.date, clock: Callable[[], datetime.date]) -> Settled:
        """`settle` for a date given, no `dated by`: what `fusion.settle` gives, kept as `last_settled`."""
        settled = settle(as_of, None, clock, self.framework.effective_from, self.framework.effective_until)
        self.last_settled = (as_of, settled)
        return settled


def load_rules(*paths: str | Path) -> RuleSet:
    """Load, parse and check rule files or folders (default: the bundled rules).

    Raises:
        RuleError: the rules have errors; `.diagnostics` lists all of them.
    """
    rule_set, diagnostics = check_rules(*paths)
    if rule_set is None:
        raise RuleError(diagnostics)
    return rule_set


def check_rules(*paths: str | Path) -> tuple[RuleSet | None, list[Diagnostic]]:
    """Like `load_rules`, but returns (rule set or None, every diagnostic) instead of raising.

    The bundled rules are taken from the bundle installed with the package when their
    files have exactly the digest it was built from (`framework_dsl.bundle`). Rules that
    checked cleanly before are taken from the per-user cache when every rule file under
    their roots is byte-for-byte unchanged. The rule set's `origin` says which answered.
    """
    bundled_root = bundle.answers_for(paths)
    if bundled_root is not None:
        found = bundle.load_rules_section(bundled_root)
        if found is not None:
            rule_set = RuleSet(
                frameworks=found.frameworks,
                digest=found.digest,
                diagnostics=found.warnings,
                origin="bundle",
                programs=ProgramStore(found.digest, found.programs),
            )
            return rule_set, list(found.warnings)
    roots = [Path(p) for p in paths] or [bundled_root or bundled_rules_root()]
    cache_name = _cache_name(roots)
    if cache_name is not None:
        cached = cache.load(cache_name)
        if isinstance(cached, tuple) and len(cached) == 3 and _example_files_still_inside(cached[0]):
            frameworks, digest, warnings = cached
            programs = ProgramStore(digest, shown=_shown_files(frameworks))
            rule_set = RuleSet(
                frameworks=frameworks, digest=digest, diagnostics=warnings, origin="cache", programs=programs
            )
            return rule_set, list(warnings)
    # Parsing and checking are only needed when the cache cannot answer: import them here.
    from framework_dsl.checker import check_program
    from framework_dsl.loader import load_files

    loaded = load_files(roots)
    frameworks, diagnostics = check_program(loaded)
    diagnostics = sort_diagnostics(diagnostics)
    if has_errors(diagnostics):
        return None, diagnostics
    if cache_name is not None:
        cache.store(cache_name, (frameworks, loaded.digest, tuple(diagnostics)))
    rule_set = RuleSet(
        frameworks=frameworks,
        digest=loaded.digest,
        diagnostics=tuple(diagnostics),
        programs=ProgramStore(loaded.digest, shown=_shown_files(frameworks)),
    )
    return rule_set, diagnostics


def _shown_files(frameworks: Mapping[str, ir.Framework]) -> tuple[str, ...]:
    """The rule files as the frameworks' locations name them (`rules/cqc/cqc.fw`), sorted.

    What a compiled program says of where its clauses are depends on these names as much
    as on the files' bytes: the loader shows a file by the path it was reached by.
    """
    shown = {framework.path for framework in frameworks.values()}
    for framework in frameworks.values():
        for decision in (*framework.judgements, *framework.checks):
            shown.update(clause.location.rpartition(":")[0] for clause in decision.clauses)
    return tuple(sorted(shown))


def _example_files_still_inside(frameworks: dict[str, ir.Framework]) -> bool:
    """Whether every `given file` of cached rules is still a file inside its rules root.

    The cache key covers the rule files only; an example file swapped for a link out of
    the root since must send the rules back through the checker, which reports it.
    """
    for framework in frameworks.values():
        for example in framework.examples:
            if example.evidence_path is None or example.evidence_root is None:
                continue
            path = Path(example.evidence_path)
            if not path.is_file() or not path.resolve().is_relative_to(Path(example.evidence_root).resolve()):
                return False
    return True


def _cache_name(roots: list[Path]) -> str | None:
    """A cache entry name covering every rule file the roots can reach, or None."""
    if cache.cache_dir() is None:
        return None
    parts: list[bytes | str] = []
    for root in roots:
        try:
            if not root.exists():  # a dangling link too: the loader reports it, and nothing is walked
                return None
            resolved = root.resolve()
            # A file's root is found from the folder it is named in, as the loader has it (not
            # its target's); imports reach the whole rules root, not only the folder given.
            folder = find_rules_root(resolved if resolved.is_dir() else root.absolute().parent)
            # A relative path shows its files relative to the current folder (see loader.py).
            shown_from = "" if root.is_absolute() else str(Path.cwd())
            parts.append(f"root:{root}:{resolved}:{folder}:{shown_from}")
            for file in sorted(folder.rglob("*.fw")):
                # Only regular files that really sit under the root, as the loader reads them.
                if not file.is_file() or not file.resolve().is_relative_to(folder):
                    continue
                parts.append(str(file.relative_to(folder)))
                parts.append(file.read_bytes())
        except (OSError, RuntimeError):  # unreadable, or a loop of links
            return None
    return f"rules-{cache.key(*parts)[:40]}.pickle"


def _as_date(value: datetime.date | str | None) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        raise TypeError("as_of must be a date, not a datetime")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise TypeError(f"as_of must be a YYYY-MM-DD date, not {value!r}") from None
    raise TypeError(f"as_of must be a date, not {type(value).__name__}")


def evidence_date(
    root: RecordValue | tuple[dict[str, Any], dict[str, Any]], path: tuple[str, ...] | None
) -> datetime.date | None:
    """The date at `path` (a framework's `dated by`) in validated evidence, or None when it is absent.

    `root` may be `validate`'s reading or the compiled validator's: the root and every
    record inside a record as (fields, raw) pairs (`evidence_compiler.compiled_form`).
    """
    if not path:
        return None
    value: Any = root
    for name in path:
        if isinstance(value, RecordValue):
            fields = value.fields
        elif type(value) is tuple:
            fields = value[0]
        else:
            return None
        value = fields.get(name, MISSING)
        if value is MISSING:
            return None
    return value if isinstance(value, datetime.date) else None


def _not_in_force(framework: ir.Framework, date: datetime.date) -> str | None:
    """Why `framework` is not in force on `date`; None if it is."""
    if framework.effective_from is not None and date < framework.effective_from:
        return (
            f"{framework.title} is in force from {framework.effective_from.isoformat()}; "
            f"this evidence is dated {date.isoformat()}"
        )
    if framework.effective_until is not None and date > framework.effective_until:
        return (
            f"{framework.title} was in force until {framework.effective_until.isoformat()}; "
            f"this evidence is dated {date.isoformat()}"
        )
    return None
