"""The framework-dsl benchmark suite: one command, a JSON report and a printed table.

    python benchmarks/run.py [--quick] [--output benchmarks/results/report.json]

Four measurements (benchmarks/README.md says what each number means):

1. workload  evaluations per second of a two-judgement workload (a CQC overall rating
             and a PEEL question grade) over 20,000 generated documents, in framework-dsl
             (through its public API), in hand-written Python and in each peer engine
             that is installed; every implementation's outcomes are first checked equal
             to the hand-written ones on every document, and the run stops if not.
2. cqc       evidence documents per second through the real `framework-check` command,
             from a .jsonl file to JSON Lines results, with --jobs 1 and --jobs 2.
3. startup   wall time of `framework-check` on one small evidence file, against the
             time Python takes to import lark, attrs and click.
4. memory    peak resident memory of `framework-check` streaming a .jsonl of 10,000
             documents and one of 1,000,000 (100,000 with --quick).

It never imports anything of framework-dsl but its public API (`load_rules`,
`RuleSet.evaluate`, `Result.to_dict`), and otherwise drives the installed commands.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import datetime
import gc
import importlib
import importlib.metadata
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from workload import engine, generate, handwritten  # noqa: E402  (needs the path above)

# Modules of the workload, in the order of the table. Each has IMPLEMENTATIONS:
# {name: build() -> (evaluate, outcomes)} and PACKAGE (the distribution measured).
WORKLOAD_MODULES = (
    "handwritten",
    "engine",
    "peer_zen",
    "peer_rego",
    "peer_cedar",
    "peer_business_rules",
    "peer_jsonlogic",
    "peer_rule_engine",
    "peer_cel",
)

ZEN_COMPILED = "zen-engine, compiled expressions"  # the fastest peer (benchmarks/workload/peer_zen.py)
# What the workload's targets compare, timed again in paired rounds (`paired_rounds`).
PAIRED = (handwritten.BASELINE, engine.WITH_REASONS, engine.PREPARED, engine.WITH_TRACE, ZEN_COMPILED)

TARGETS = {
    "workload_ratio": 2.0,  # evaluate (outcomes, reasons, inputs) / hand-written
    "workload_ratio_explain": 5.0,  # evaluate(explain=True) / hand-written
    "peer_speedup": 2.0,  # zen-engine's compiled expressions' time ÷ evaluate's, in the same run
    "cqc_docs_per_s_per_core": 12_000.0,
    "jobs2_speedup": 1.7,
    "jobs2_applies_from_ceiling": 1.8,  # the --jobs 2 target holds when two plain Python loops reach this
    "startup_ratio": 1.5,  # warm: framework-check ÷ python -c "import lark, attrs, click"
    "startup_no_cache_ratio": 3.0,  # the same with the per-user cache off (a fresh CI container)
    "memory_ratio": 1.1,
}


class Mismatch(Exception):
    """An implementation disagrees with the hand-written outcomes: the benchmark is void."""


# ---------------------------------------------------------------- helpers


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "framework_dsl": _version("framework-dsl"),
        **source_state(),
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "date": datetime.date.today().isoformat(),
    }


def source_state() -> dict[str, Any]:
    """The commit of the checkout measured, and whether its engine sources had local changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "src", "grammar"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {"git_commit": None}
    return {"git_commit": commit, "engine_sources_changed_since_commit": [line[3:] for line in changed]}


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def command(name: str) -> list[str]:
    """The installed console script `name`: beside this Python first, then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (looked beside {sys.executable} and on PATH)")
    return [found]


# ---------------------------------------------------------------- 1. workload


def best_of(evaluate: Callable[[Any], Any], docs: list[Any], repeats: int, budget: float) -> dict[str, Any]:
    """Run `evaluate` over `docs`: one checked pass, then up to `repeats` timed passes.

    Returns the first pass's results and time, the best timed pass (wall clock,
    `time.perf_counter`) and the least CPU time of a pass (`time.process_time`, which
    another process's load on the machine does not inflate the way it does wall time).
    Passes stop early once `budget` seconds (including the first pass) would be
    exceeded; when not even one timed pass fits, the first pass is the measurement.
    """
    gc.collect()
    start, cpu_start = time.perf_counter(), time.process_time()
    results = [evaluate(doc) for doc in docs]
    first, first_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    spent, walls, cpus = first, [], []
    while len(walls) < repeats and spent + (min(walls) if walls else first) <= budget:
        gc.collect()
        start, cpu_start = time.perf_counter(), time.process_time()
        for doc in docs:
            evaluate(doc)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu_start)
        spent += walls[-1]
    return {
        "results": results,
        "first": first,
        "best": min(walls) if walls else first,
        "best_cpu": min(cpus) if cpus else first_cpu,
        "runs": len(walls),
    }


Timed = list[tuple[str, Callable[[Any], Any]]]


def paired_rounds(timed: Timed, docs: list[Any], rounds: int) -> dict[str, list[float]]:
    """Each implementation's time for one pass over `docs`, in `rounds` rounds: name -> seconds by round.

    Within a round every implementation makes one pass, one after another (the order
    turned by one each round), so a ratio of two times from the same round compares them
    on the machine as it was in those few tenths of a second. The best-of passes above
    time each implementation in turn over a minute or more; on a shared machine whose
    speed changes within that (measured: hand-written Python at 0.9 µs and at 1.9 µs an
    evaluation in two runs minutes apart), their ratios move with it.
    """
    times: dict[str, list[float]] = {name: [] for name, _ in timed}
    for index in range(rounds):
        turn = index % len(timed)
        for name, evaluate in timed[turn:] + timed[:turn]:
            gc.collect()
            start = time.perf_counter()
            for doc in docs:
                evaluate(doc)
            times[name].append(time.perf_counter() - start)
    return times


def paired_ratio(times: dict[str, list[float]], name: str, base: str) -> tuple[float, float, float] | None:
    """(median, least, greatest) over the rounds of `name`'s time ÷ `base`'s in the same round."""
    if name not in times or base not in times:
        return None
    ratios = sorted(t / b for t, b in zip(times[name], times[base], strict=True))
    return round(statistics.median(ratios), 2), round(ratios[0], 2), round(ratios[-1], 2)


def workload_implementations(only: list[str] | None) -> Iterator[tuple[str, str, Callable[[], Any] | None, str | None]]:
    """(module, name, build, import problem) for every implementation, in table order."""
    for module_name in WORKLOAD_MODULES:
        try:
            module = importlib.import_module(f"workload.{module_name}")
        except Exception as error:  # a peer module that cannot even load is reported
            yield module_name, module_name, None, f"{type(error).__name__}: {error}"
            continue
        for name, build in module.IMPLEMENTATIONS.items():
            if only and not any(o.lower() in name.lower() for o in only) and module_name not in ("handwritten",):
                continue
            yield module_name, name, build, None


def run_workload(args: argparse.Namespace) -> dict[str, Any]:
    docs = generate.documents(args.documents)
    expected = [handwritten.decide_outcomes(doc) for doc in docs]
    mix = {
        "overall": dict(collections.Counter(o for o, _ in expected).most_common()),
        "question_grade": dict(collections.Counter(g for _, g in expected).most_common()),
    }
    log(f"workload: {len(docs):,} documents (seed {generate.SEED}); outcomes {mix}")
    rows: list[dict[str, Any]] = []
    paired: Timed = []  # what the targets compare, timed again in rounds
    for module_name, name, build, problem in workload_implementations(args.peers):
        row: dict[str, Any] = {"name": name, "module": f"benchmarks/workload/{module_name}.py"}
        module = sys.modules.get(f"workload.{module_name}")
        package = getattr(module, "PACKAGES", {}).get(name) or getattr(module, "PACKAGE", None)
        if package:
            row["package"] = package
            row["version"] = _version(package)
        rows.append(row)
        if build is None:
            row.update(status="unavailable", reason=problem)
            log(f"  {name}: unavailable ({problem})")
            continue
        try:
            evaluate, outcomes = build()
        except Exception as error:  # not installed, or fails to set up here
            row.update(status="unavailable", reason=f"{type(error).__name__}: {error}")
            log(f"  {name}: unavailable ({row['reason']})")
            continue
        log(f"  {name}: checking outcomes on all {len(docs):,} documents, then timing ...")
        # hand-written Python and framework-dsl always get all their timed passes
        budget = math.inf if module_name in ("handwritten", "engine") else args.budget
        try:
            timing = best_of(evaluate, docs, args.repeats, budget)
            results, first, best, runs = timing["results"], timing["first"], timing["best"], timing["runs"]
            got = [outcomes(result) for result in results]
        except Exception as error:  # fails to run here: record why
            row.update(status="failed", reason=f"{type(error).__name__}: {error}")
            log(f"  {name}: failed to run ({row['reason']})\n{traceback.format_exc()}")
            continue
        wrong = [i for i, (g, e) in enumerate(zip(got, expected, strict=True)) if tuple(g) != e]
        if wrong:
            shown = "\n".join(
                f"    document {i}: got {got[i]}, hand-written {expected[i]}: {json.dumps(docs[i])}" for i in wrong[:5]
            )
            raise Mismatch(f"{name} disagrees with the hand-written outcomes on {len(wrong):,} documents:\n{shown}")
        if module_name == "engine":
            check_engine_decisions(name, results, docs)
        row.update(
            status="ok",
            first_pass_s=round(first, 4),
            best_s=round(best, 4),
            timed_runs=runs,
            evals_per_s=round(len(docs) / best, 1),
            us_per_eval=round(best / len(docs) * 1e6, 2),
            best_cpu_s=round(timing["best_cpu"], 4),
            evals_per_cpu_s=round(len(docs) / timing["best_cpu"], 1),
        )
        if runs == 0:
            row["note"] = (
                f"the checked pass took {first:.0f} s, over the {args.budget:.0f} s budget; it is the measurement"
            )
        log(f"    {row['evals_per_s']:,.0f} evaluations/s (best of {max(runs, 1)})")
        if name in PAIRED:
            paired.append((name, evaluate))
        del results, got
    baseline = next((r for r in rows if r["name"] == handwritten.BASELINE and r.get("status") == "ok"), None)
    for row in rows:
        if baseline and row.get("status") == "ok":
            row["ratio"] = round(row["best_s"] / baseline["best_s"], 2)
            row["cpu_ratio"] = round(row["best_cpu_s"] / baseline["best_cpu_s"], 2)
    rounds: dict[str, list[float]] = {}
    zen = None
    if baseline and args.paired_rounds and len(paired) > 1:
        log(f"  timing {', '.join(name for name, _ in paired)} in {args.paired_rounds} rounds of one pass each ...")
        rounds = paired_rounds(paired, docs, args.paired_rounds)
        for row in rows:
            found = paired_ratio(rounds, row["name"], handwritten.BASELINE)
            if found is not None:
                row["paired_ratio"], row["paired_ratio_least"], row["paired_ratio_greatest"] = found
        zen = paired_ratio(rounds, ZEN_COMPILED, engine.WITH_REASONS)
    return {
        "documents": len(docs),
        "seed": generate.SEED,
        "as_of": engine.AS_OF.isoformat(),
        "repeats": args.repeats,
        "budget_s": args.budget,
        "baseline": handwritten.BASELINE,
        "outcome_mix": mix,
        "results": rows,
        "paired_rounds": args.paired_rounds if rounds else 0,
        "zen_compiled_over_evaluate_paired": zen[0] if zen else None,
    }


def check_engine_decisions(name: str, results: list[Any], docs: list[dict[str, Any]]) -> None:
    """framework-dsl must also agree with the hand-written reasons, citations and inputs."""
    for index, (result, doc) in enumerate(zip(results, docs, strict=True)):
        judgements = engine.decisions(result)
        for judgement, (outcome, reason, cite, inputs) in zip(engine.JUDGEMENTS, handwritten.decide(doc), strict=True):
            got = judgements[judgement]
            if (got["outcome"], got["reason"], got["cite"], got["inputs"]) != (outcome, reason, cite, inputs):
                raise Mismatch(
                    f"{name}: document {index}, {judgement}: framework-dsl recorded "
                    f"{json.dumps({k: got[k] for k in ('outcome', 'reason', 'cite', 'inputs')})}, "
                    f"hand-written {json.dumps([outcome, reason, cite, inputs])}"
                )


# ---------------------------------------------------------------- evidence for framework-check

GRADES = ("outstanding", "good", "requires_improvement", "inadequate")


def pick_framework(requested: str) -> tuple[str, str | None]:
    """`requested` if its rules and examples exist, else clas (with the reason)."""
    if (REPO / "rules" / requested).is_dir() and any((REPO / "examples" / requested).glob("*.json")):
        return requested, None
    return "clas", f"rules/{requested} or examples/{requested} not found; measured clas instead"


def evidence_pool(framework: str, size: int = 400, seed: int = 7) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Up to `size` distinct evidence documents for `framework` that it evaluates.

    Built from examples/FRAMEWORK/*.json with variations (grades, breaches, services,
    counts) and kept only when the bundled rules evaluate them (status "evaluated",
    checked through the public API), so every line of the benchmark files is real work.
    """
    import framework_dsl

    rules = framework_dsl.load_rules()
    examples = []
    for path in sorted((REPO / "examples" / framework).glob("*.json")):
        with contextlib.suppress(ValueError):
            examples.append(json.loads(path.read_text(encoding="utf-8")))
    bases = [e for e in examples if isinstance(e, dict) and rules.evaluate(e).status == "evaluated"]
    if not bases:
        raise SystemExit(f"no example in examples/{framework} evaluates: nothing to build the benchmark files from")
    breaches = [b for e in bases for b in (e.get("breaches") or []) if isinstance(b, dict)]
    services = list(dict.fromkeys(s for e in bases for s in (e.get("services_reviewed") or []) if isinstance(s, str)))
    rng = random.Random(seed)
    pool = [json.loads(json.dumps(b)) for b in bases]
    seen = {json.dumps(d, sort_keys=True) for d in pool}
    statuses: collections.Counter[str] = collections.Counter()
    for _ in range(size * 4):
        if len(pool) >= size:
            break
        doc = json.loads(json.dumps(rng.choice(bases)))
        vary(doc, rng, breaches, services)
        key = json.dumps(doc, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        status = rules.evaluate(doc).status
        statuses[status] += 1
        if status == "evaluated":
            pool.append(doc)
    return pool, {
        "examples": len(examples),
        "examples_evaluated": len(bases),
        "variants": len(pool),
        "variants_rejected": sum(n for s, n in statuses.items() if s != "evaluated"),
    }


def vary(doc: dict[str, Any], rng: random.Random, breaches: list[Any], services: list[str]) -> None:
    """Change the parts of an example that drive the judgements, leaving its shape."""
    key_questions = doc.get("key_questions")
    if isinstance(key_questions, dict):
        for value in key_questions.values():
            if isinstance(value, dict) and value.get("rating") in GRADES and rng.random() < 0.6:
                value["rating"] = rng.choices(GRADES, (0.2, 0.5, 0.2, 0.1))[0]
    if isinstance(doc.get("breaches"), list) and breaches:
        count = rng.choice((0, 0, 1, 1, 2, 3))
        doc["breaches"] = [json.loads(json.dumps(b)) for b in rng.sample(breaches, min(count, len(breaches)))]
    if isinstance(doc.get("services_reviewed"), list) and services:
        doc["services_reviewed"] = [s for s in services if rng.random() < 0.8]
    review = doc.get("review")
    if isinstance(review, dict) and isinstance(review.get("recommendations"), int):
        review["recommendations"] = rng.randint(0, 20)


def write_jsonl(path: Path, pool: list[dict[str, Any]], count: int) -> int:
    """`count` documents cycling through `pool`, each with its own subject id. Returns bytes."""
    heads, bodies = [], []
    for doc in pool:
        rest = {k: v for k, v in doc.items() if k != "subject"}
        subject = doc.get("subject") if isinstance(doc.get("subject"), dict) else {}
        heads.append(json.dumps(subject, separators=(",", ":"))[:-1])
        bodies.append(json.dumps(rest, separators=(",", ":"))[1:])
    with path.open("w", encoding="utf-8") as out:
        n = len(pool)
        for i in range(count):
            head = heads[i % n]
            out.write(f'{{"subject":{head}{"," if len(head) > 1 else ""}"benchmark_id":{i}}},{bodies[i % n]}\n')
    return path.stat().st_size


# Runs one command and reports on it as JSON on its standard output. It runs in a
# small Python process of its own because a child's peak RSS (ru_maxrss) starts from
# the RSS of the process it was forked from: measured from this process, which holds
# the workload's results by then, every command would seem to need hundreds of MiB.
_MEASURE = """
import json, resource, subprocess, sys, time
with open(sys.argv[1], "wb") as errors:
    start = time.perf_counter()
    code = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=errors)
    wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "max_rss_kib": usage.ru_maxrss}))
"""


class Child:
    """One finished command: wall seconds, CPU seconds (its own and its reaped worker
    processes'), peak RSS in KiB (of the largest of them), and exit code."""

    def __init__(self, argv: list[str], ok: tuple[int, ...] = (0, 1), env: dict[str, str] | None = None) -> None:
        with tempfile.NamedTemporaryFile(suffix=".stderr") as errors:
            done = subprocess.run(
                [sys.executable, "-c", _MEASURE, errors.name, *argv],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, **(env or {})},
            )
            measured = json.loads(done.stdout)
            self.code: int = measured["code"]
            self.wall: float = measured["wall"]
            self.cpu: float = measured["cpu"]
            self.max_rss_kib: int = measured["max_rss_kib"]
            if self.code not in ok:
                message = Path(errors.name).read_text(errors="replace")[-2000:]
                raise SystemExit(f"{' '.join(argv)} exited {self.code}:\n{message}")


# ---------------------------------------------------------------- 2. cqc end to end


# A pure-Python, CPU-bound job with no input, output or shared state: two copies at
# once show how far this machine lets two processes go in parallel at all.
_SPIN = "d = {}\nfor i in range(6_000_000): d[i & 1023] = str(i)"


def parallel_ceiling(repeats: int) -> dict[str, Any]:
    """The machine's own two-process speed-up: one spin job alone, then two at once.

    --jobs 2 ÷ --jobs 1 cannot beat this; on a virtual machine whose two cores share a
    physical one, or whose host is busy, it is well below 2.
    """
    alone, pairs = [], []
    for _ in range(repeats):
        alone.append(Child([sys.executable, "-c", _SPIN]).wall)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            both = list(pool.map(lambda _: Child([sys.executable, "-c", _SPIN]), range(2)))
        pairs.append(max(child.wall for child in both))
    return {
        "command": 'python -c "<6,000,000 dict stores>", alone and two at once',
        "alone_s": [round(w, 3) for w in alone],
        "pair_s": [round(w, 3) for w in pairs],
        "speedup": round(2 * min(alone) / min(pairs), 2),
    }


def run_cqc(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    framework, note = pick_framework(args.framework)
    pool, pool_info = evidence_pool(framework)
    source = workdir / f"{framework}-{args.cqc_documents}.jsonl"
    size = write_jsonl(source, pool, args.cqc_documents)
    log(f"{framework}: {args.cqc_documents:,} documents ({size / 1e6:.1f} MB) from {pool_info}")
    single = workdir / f"{framework}-1.jsonl"
    write_jsonl(single, pool, 1)
    check = command("framework-check")
    output = workdir / "out.jsonl"

    # The two halves of the file, for two independent framework-check processes at
    # once: --jobs 2 with no coordination at all, the most it could hope for here.
    halves = [workdir / f"{framework}-half-{i}.jsonl" for i in (1, 2)]
    with source.open("rb") as handle:
        lines_of = handle.readlines()
    middle = len(lines_of) // 2
    halves[0].write_bytes(b"".join(lines_of[:middle]))
    halves[1].write_bytes(b"".join(lines_of[middle:]))
    del lines_of

    children: dict[int, list[Child]] = {1: [], 2: []}
    pairs: list[float] = []
    statuses: dict[int, collections.Counter[str]] = {1: collections.Counter(), 2: collections.Counter()}
    # Interleaved (one run of each kind per round), so a machine that drifts faster or
    # slower during the test moves every kind alike.
    for attempt in range(args.cqc_repeats):
        for jobs in (1, 2):
            output.unlink(missing_ok=True)
            argv = [*check, str(source), "--format", "jsonl", "--output", str(output), "--jobs", str(jobs)]
            children[jobs].append(Child(argv))
            if attempt == 0:  # the results are all there, one per document
                with output.open("rb") as handle:
                    lines = 0
                    for line in handle:
                        lines += 1
                        statuses[jobs][json.loads(line)["status"]] += 1
                if lines != args.cqc_documents:
                    raise SystemExit(f"framework-check wrote {lines} results for {args.cqc_documents} documents")
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            both = list(
                pool.map(
                    lambda half: Child([*check, str(half), "--format", "jsonl", "--output", f"{half}.out"]), halves
                )
            )
        pairs.append(max(child.wall for child in both))

    runs: dict[str, Any] = {}
    for jobs in (1, 2):
        best = min(children[jobs], key=lambda c: c.wall)
        one_doc = [*check, str(single), "--format", "jsonl", "--output", str(output), "--jobs", str(jobs)]
        fixed = min((Child(one_doc) for _ in range(args.cqc_repeats)), key=lambda c: c.wall)
        n = args.cqc_documents
        runs[f"jobs_{jobs}"] = {
            "command": f"framework-check {source.name} --format jsonl --output {output.name} --jobs {jobs}",
            "wall_s": [round(c.wall, 3) for c in children[jobs]],
            "best_s": round(best.wall, 3),
            "docs_per_s": round(n / best.wall, 1),
            "docs_per_s_per_core": round(n / best.wall / jobs, 1),
            "cpu_s": round(best.cpu, 3),
            "docs_per_cpu_s": round(n / best.cpu, 1),
            "one_document_s": round(fixed.wall, 3),
            "one_document_cpu_s": round(fixed.cpu, 3),
            "docs_per_s_after_startup": round((n - 1) / (best.wall - fixed.wall), 1)
            if best.wall > fixed.wall
            else None,
            "docs_per_cpu_s_after_startup": round((n - 1) / (best.cpu - fixed.cpu), 1)
            if best.cpu > fixed.cpu
            else None,
            "result_statuses": dict(statuses[jobs]),
        }
        log(f"  --jobs {jobs}: {n / best.wall:,.0f} documents/s (best of {len(children[jobs])})")
    independent = {
        "command": f"framework-check {halves[0].name} & framework-check {halves[1].name} (--jobs 1 each, at once)",
        "wall_s": [round(w, 3) for w in pairs],
        "best_s": round(min(pairs), 3),
        "speedup": round(runs["jobs_1"]["best_s"] / min(pairs), 2),
    }
    log(f"  two independent processes, half the file each: {independent['speedup']:.2f}x --jobs 1")
    ceiling = parallel_ceiling(args.cqc_repeats)
    log(f"  this machine, two CPU-bound processes at once: {ceiling['speedup']:.2f}x one")
    return {
        "framework": framework,
        "note": note,
        "documents": args.cqc_documents,
        "file_bytes": size,
        "evidence": pool_info,
        **runs,
        "jobs2_speedup": round(runs["jobs_1"]["best_s"] / runs["jobs_2"]["best_s"], 2),
        "independent_halves": independent,
        "parallel_ceiling": ceiling,
    }


# ---------------------------------------------------------------- 3. start-up


def run_startup(args: argparse.Namespace) -> dict[str, Any]:
    evidence = REPO / "examples" / "clas" / "complete.json"
    check = [*command("framework-check"), str(evidence), "--format", "json"]
    baseline = [sys.executable, "-c", "import lark, attrs, click"]

    def medians(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, list[float]]:
        Child(argv, ok=(0,), env=env)  # untimed: warms the file cache and framework-dsl's own cache
        children = [Child(argv, ok=(0,), env=env) for _ in range(args.startup_runs)]
        walls = [c.wall for c in children]
        return statistics.median(walls), statistics.median(c.cpu for c in children), walls

    check_median, check_cpu, check_times = medians(check)
    cold_median, cold_cpu, _ = medians(check, {"FRAMEWORK_DSL_NO_CACHE": "1"})
    # Neither the cache nor the wheel's bundle: what a source checkout's first run costs,
    # and any run on rules that are not the bundled ones as shipped.
    bare_median, bare_cpu, _ = medians(check, {"FRAMEWORK_DSL_NO_CACHE": "1", "FRAMEWORK_DSL_NO_BUNDLE": "1"})
    base_median, base_cpu, base_times = medians(baseline)
    log(
        f"start-up: framework-check {check_median * 1000:.0f} ms ({cold_median * 1000:.0f} ms without its cache,"
        f" {bare_median * 1000:.0f} ms without its cache and bundle), imports {base_median * 1000:.0f} ms"
    )
    return {
        # The precompiled bundle is only in an installed wheel (not an editable install).
        "bundle_installed": _bundle_installed(),
        "command": f"framework-check {evidence.relative_to(REPO)} --format json",
        "baseline_command": f'{Path(sys.executable).name} -c "import lark, attrs, click"',
        "runs": args.startup_runs,
        "median_s": round(check_median, 4),
        "baseline_median_s": round(base_median, 4),
        "all_s": [round(t, 4) for t in check_times],
        "baseline_all_s": [round(t, 4) for t in base_times],
        "ratio": round(check_median / base_median, 2),
        "cpu_median_s": round(check_cpu, 4),
        "baseline_cpu_median_s": round(base_cpu, 4),
        "cpu_ratio": round(check_cpu / base_cpu, 2),
        "no_cache_median_s": round(cold_median, 4),
        "no_cache_cpu_median_s": round(cold_cpu, 4),
        "no_cache_ratio": round(cold_median / base_median, 2),
        "no_cache_cpu_ratio": round(cold_cpu / base_cpu, 2),
        "no_cache_no_bundle_median_s": round(bare_median, 4),
        "no_cache_no_bundle_cpu_median_s": round(bare_cpu, 4),
        "no_cache_no_bundle_ratio": round(bare_median / base_median, 2),
    }


def _bundle_installed() -> bool:
    """Whether the framework-dsl measured was installed with its precompiled bundle (from a wheel)."""
    try:
        files = importlib.metadata.files("framework-dsl") or []
    except importlib.metadata.PackageNotFoundError:
        return False
    return any(str(f).replace("\\", "/") == "framework_dsl/bundle.bin" for f in files)


# ---------------------------------------------------------------- 4. memory


def run_memory(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    framework, note = pick_framework(args.framework)
    pool, pool_info = evidence_pool(framework)
    check = command("framework-check")
    sizes = [10_000, 100_000] if args.quick else [10_000, 1_000_000]
    if args.memory_sizes:
        sizes = args.memory_sizes
    warm = workdir / f"{framework}-memory-warm.jsonl"
    write_jsonl(warm, pool, 1)
    Child([*check, str(warm), "--format", "jsonl", "--jobs", "1"])  # untimed: fills framework-dsl's rule cache
    rows = []
    for count in sizes:
        source = workdir / f"{framework}-memory-{count}.jsonl"
        size = write_jsonl(source, pool, count)
        argv = [*check, str(source), "--format", "jsonl", "--jobs", "1"]
        log(f"memory: streaming {count:,} documents ({size / 1e6:.0f} MB) through framework-check ...")
        child = Child(argv)
        rss, wall, code = child.max_rss_kib, child.wall, child.code
        rows.append(
            {
                "documents": count,
                "file_bytes": size,
                "max_rss_kib": rss,
                "max_rss_mib": round(rss / 1024, 1),
                "wall_s": round(wall, 2),
                "docs_per_s": round(count / wall, 1),
                "cpu_s": round(child.cpu, 2),
                "exit_code": code,
            }
        )
        log(f"  {count:,} documents: peak RSS {rss / 1024:.1f} MiB, {wall:.1f} s")
        if not args.keep_files:
            source.unlink()
    return {
        "framework": framework,
        "note": note,
        "command": "framework-check FILE.jsonl --format jsonl --jobs 1 > /dev/null",
        "measured_by": "resource.getrusage(RUSAGE_CHILDREN).ru_maxrss in a small parent process that runs only it",
        "evidence": pool_info,
        "sizes": rows,
        "ratio": round(rows[-1]["max_rss_kib"] / rows[0]["max_rss_kib"], 3),
    }


# ---------------------------------------------------------------- report


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []

    def add(name: str, value: float | None, target: float, better: str, unit: str = "") -> None:
        met = None if value is None else (value <= target if better == "lower" else value >= target)
        rows.append(
            {
                "target": name,
                "value": value,
                "goal": f"{'≤' if better == 'lower' else '≥'} {target:g}{unit}",
                "met": met,
            }
        )

    work = report.get("workload")
    if work and "error" not in work:
        by_name = {r["name"]: r for r in work["results"]}

        def ratio(name: str) -> float | None:
            """The paired rounds' median ratio (`paired_rounds`) where they ran, else the best passes' ratio."""
            row = by_name.get(name, {})
            found: float | None = row.get("paired_ratio", row.get("ratio"))
            return found

        add(
            "workload: evaluate ÷ hand-written",
            ratio(engine.WITH_REASONS),
            TARGETS["workload_ratio"],
            "lower",
            "×",
        )
        add(
            "workload: prepared evaluator ÷ hand-written",
            ratio(engine.PREPARED),
            TARGETS["workload_ratio"],
            "lower",
            "×",
        )
        add(
            "workload: explain=True ÷ hand-written",
            ratio(engine.WITH_TRACE),
            TARGETS["workload_ratio_explain"],
            "lower",
            "×",
        )
        ours, zen = ratio(engine.WITH_REASONS), ratio(ZEN_COMPILED)
        zen_over_ours = work.get("zen_compiled_over_evaluate_paired")
        if zen_over_ours is None and ours and zen:
            zen_over_ours = round(zen / ours, 2)
        if zen_over_ours:
            add(
                "workload: zen-engine compiled ÷ evaluate (time)",
                zen_over_ours,
                TARGETS["peer_speedup"],
                "higher",
                "×",
            )
    cqc = report.get("cqc")
    if cqc and "error" not in cqc:
        add(
            f"{cqc['framework']}: documents/s/core (--jobs 1)",
            cqc["jobs_1"]["docs_per_s_per_core"],
            TARGETS["cqc_docs_per_s_per_core"],
            "higher",
        )
        add(
            f"{cqc['framework']}: --jobs 2 ÷ --jobs 1 throughput",
            cqc["jobs2_speedup"],
            TARGETS["jobs2_speedup"],
            "higher",
            "×",
        )
        # The target holds "whenever the machine's own ceiling is >= 1.8x": below that, two
        # processes cannot scale so far on this machine at all, and the row says so.
        ceiling = cqc.get("parallel_ceiling", {}).get("speedup")
        if ceiling is not None and ceiling < TARGETS["jobs2_applies_from_ceiling"]:
            rows[-1]["met"] = None
            applies = TARGETS["jobs2_applies_from_ceiling"]
            rows[-1]["goal"] += f" when two loops reach ≥ {applies:g}× (here {ceiling:.2f}×)"
    startup = report.get("startup")
    if startup and "error" not in startup:
        add("start-up ÷ import lark, attrs, click", startup["ratio"], TARGETS["startup_ratio"], "lower", "×")
        add(
            "start-up, cache off ÷ import lark, attrs, click",
            startup["no_cache_ratio"],
            TARGETS["startup_no_cache_ratio"],
            "lower",
            "×",
        )
    memory = report.get("memory")
    if memory and "error" not in memory:
        sizes = memory["sizes"]
        add(
            f"peak RSS at {sizes[-1]['documents']:,} ÷ at {sizes[0]['documents']:,}",
            memory["ratio"],
            TARGETS["memory_ratio"],
            "lower",
            "×",
        )
    return rows


def table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def render(report: dict[str, Any]) -> str:
    parts = []
    m = report["machine"]
    changed = m.get("engine_sources_changed_since_commit")
    parts.append(
        f"machine: {m['nproc']} CPUs ({m['cpu_model']}), Python {m['python']}, framework-dsl {m['framework_dsl']}"
        f" at {(m.get('git_commit') or 'unknown')[:10]}"
        + (f" with local changes to {', '.join(changed)}" if changed else "")
        + f"; load average {m['load_average_1m_at_start']} at start, {m.get('load_average_1m_at_end')} at end"
    )
    for part in ("workload", "cqc", "startup", "memory"):
        if "error" in report.get(part, {}):
            parts.append(f"\n{part}: could not be measured: {report[part]['error']}")
    work = report.get("workload")
    if work and "error" not in work:
        rows = []
        for r in work["results"]:
            if r.get("status") == "ok":
                runs = f"best of {r['timed_runs']}" if r["timed_runs"] else "1 checked pass"
                rows.append(
                    [
                        r["name"],
                        r.get("version") or "",
                        f"{r['evals_per_s']:,.0f}",
                        f"{r['us_per_eval']:,.1f}",
                        f"{r['ratio']:,.2f}×" if "ratio" in r else "",
                        f"{r['evals_per_cpu_s']:,.0f}",
                        f"{r['cpu_ratio']:,.2f}×" if "cpu_ratio" in r else "",
                        runs,
                        (
                            f"{r['paired_ratio']:.2f}× ({r['paired_ratio_least']:.2f}–{r['paired_ratio_greatest']:.2f})"
                            if "paired_ratio" in r
                            else ""
                        ),
                    ]
                )
            else:
                reason = r.get("reason") or ""
                rows.append([r["name"], r.get("version") or "", r.get("status", ""), "", "", "", "", reason[:70], ""])
        parts.append(
            f"\nworkload: {work['documents']:,} documents; ratio = time ÷ {work['baseline']}"
            " (wall clock; CPU columns: process time; paired: the median ratio, and its range, over"
            f" {work.get('paired_rounds', 0)} rounds of one pass each, which the targets use)\n"
            + table(
                [
                    "implementation",
                    "version",
                    "evals/s",
                    "µs/eval",
                    "ratio",
                    "evals/CPU-s",
                    "CPU ratio",
                    "runs",
                    "paired ratio",
                ],
                rows,
                {2, 3, 4, 5, 6},
            )
        )
    cqc = report.get("cqc")
    if cqc and "error" not in cqc:
        rows = []
        for j in (1, 2):
            run = cqc[f"jobs_{j}"]
            steady = run["docs_per_s_after_startup"]
            rows.append(
                [
                    f"--jobs {j}",
                    f"{run['docs_per_s']:,.0f}",
                    f"{run['docs_per_s_per_core']:,.0f}",
                    f"{run['best_s']:.2f}",
                    f"{run['one_document_s']:.2f}",
                    f"{steady:,.0f}" if steady else "n/a",
                    f"{run['docs_per_cpu_s']:,.0f}",
                ]
            )
        parts.append(
            f"\n{cqc['framework']} end to end: framework-check on {cqc['documents']:,} documents (.jsonl → JSON Lines)"
            + (f" [{cqc['note']}]" if cqc.get("note") else "")
            + "\n"
            + table(
                ["run", "docs/s", "docs/s/core", "wall s", "1-doc wall s", "docs/s after start-up", "docs/CPU-s"],
                rows,
                {1, 2, 3, 4, 5, 6},
            )
            + f"\n--jobs 2 ÷ --jobs 1: {cqc['jobs2_speedup']:.2f}×"
            + (
                f"; two independent framework-check processes on half the file each:"
                f" {cqc['independent_halves']['speedup']:.2f}×; this machine runs two CPU-bound"
                f" Python processes at once at {cqc['parallel_ceiling']['speedup']:.2f}× one"
                if "parallel_ceiling" in cqc
                else ""
            )
        )
    startup = report.get("startup")
    if startup and "error" not in startup:
        parts.append(
            f"\nstart-up (median of {startup['runs']}): {startup['command']} {startup['median_s'] * 1000:.0f} ms; "
            f"{startup['baseline_command']} {startup['baseline_median_s'] * 1000:.0f} ms; ratio {startup['ratio']:.2f}×"
            f"\n  CPU time: {startup['cpu_median_s'] * 1000:.0f} ms vs"
            f" {startup['baseline_cpu_median_s'] * 1000:.0f} ms; ratio {startup['cpu_ratio']:.2f}×"
            f"\n  without framework-dsl's cache (FRAMEWORK_DSL_NO_CACHE=1):"
            f" {startup['no_cache_median_s'] * 1000:.0f} ms;"
            f" ratio {startup['no_cache_ratio']:.2f}×"
            + ("" if startup.get("bundle_installed", True) else " (this install has no precompiled bundle)")
            + (
                f"\n  without its cache and bundle (FRAMEWORK_DSL_NO_CACHE=1 FRAMEWORK_DSL_NO_BUNDLE=1):"
                f" {startup['no_cache_no_bundle_median_s'] * 1000:.0f} ms;"
                f" ratio {startup['no_cache_no_bundle_ratio']:.2f}×"
                if "no_cache_no_bundle_median_s" in startup
                else ""
            )
        )
    memory = report.get("memory")
    if memory and "error" not in memory:
        rows = [
            [
                f"{r['documents']:,}",
                f"{r['file_bytes'] / 1e6:,.0f}",
                f"{r['max_rss_mib']:,.1f}",
                f"{r['wall_s']:,.1f}",
                f"{r['docs_per_s']:,.0f}",
            ]
            for r in memory["sizes"]
        ]
        parts.append(
            f"\npeak memory: framework-check streaming {memory['framework']} .jsonl (--jobs 1)\n"
            + table(["documents", "file MB", "max RSS MiB", "wall s", "docs/s"], rows, {0, 1, 2, 3, 4})
            + f"\nratio {memory['ratio']:.3f}×"
        )
    rows = [
        [
            t["target"],
            "" if t["value"] is None else f"{t['value']:,}",
            t["goal"],
            {True: "met", False: "NOT MET", None: "n/a"}[t["met"]],
        ]
        for t in report["targets"]
    ]
    parts.append("\ntargets\n" + table(["measure", "value", "goal", ""], rows, {1}))
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="memory test at 10,000 and 100,000 documents (not 1,000,000)"
    )
    parser.add_argument("--output", type=Path, default=BENCH / "results" / "report.json", help="JSON report path")
    parser.add_argument(
        "--only", nargs="+", choices=("workload", "cqc", "startup", "memory"), help="run only these parts"
    )
    parser.add_argument("--peers", nargs="+", help="workload: only implementations whose name contains one of these")
    parser.add_argument("--documents", type=int, default=20_000, help="workload documents (default 20,000)")
    parser.add_argument(
        "--repeats", type=int, default=5, help="workload: timed passes per implementation (best is kept)"
    )
    parser.add_argument(
        "--paired-rounds",
        type=int,
        default=31,
        help="workload: rounds in which the implementations the targets compare each make one pass (0: none)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="workload: seconds per implementation before repeats stop (default 60)",
    )
    parser.add_argument(
        "--framework", default="cqc", help="framework for the end-to-end and memory parts (default cqc)"
    )
    parser.add_argument(
        "--cqc-documents", type=int, default=None, help="end-to-end documents (default 20,000; 5,000 quick)"
    )
    parser.add_argument("--cqc-repeats", type=int, default=3, help="end-to-end runs per --jobs value (best is kept)")
    parser.add_argument("--startup-runs", type=int, default=10, help="start-up runs (median is kept)")
    parser.add_argument("--memory-sizes", type=int, nargs="+", help="override the memory test's document counts")
    parser.add_argument("--keep-files", action="store_true", help="keep the generated .jsonl files")
    args = parser.parse_args(argv)
    if args.cqc_documents is None:
        args.cqc_documents = 5_000 if args.quick else 20_000
    parts = args.only or ["workload", "cqc", "startup", "memory"]
    # The hash seed changes set and dict layouts, so a run names it when one was fixed.
    seed = f"PYTHONHASHSEED={os.environ['PYTHONHASHSEED']} " if "PYTHONHASHSEED" in os.environ else ""
    command = seed + " ".join(["benchmarks/run.py", *(argv or sys.argv[1:])])
    report: dict[str, Any] = {"machine": machine(), "command": command}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="framework-dsl-bench-") as tmp:
        workdir = Path(tmp)
        sections: dict[str, Callable[[], dict[str, Any]]] = {
            "workload": lambda: run_workload(args),
            "cqc": lambda: run_cqc(args, workdir),
            "startup": lambda: run_startup(args),
            "memory": lambda: run_memory(args, workdir),
        }
        for part in parts:
            try:
                report[part] = sections[part]()
            except Mismatch as error:  # wrong outcomes void the whole benchmark
                log(f"\nFAILED: {error}")
                return 2
            except (Exception, SystemExit) as error:  # e.g. the bundled rules do not load: record it, go on
                message = str(error) or type(error).__name__
                log(f"{part}: could not be measured: {message}")
                report[part] = {"error": message}
    report["total_s"] = round(time.perf_counter() - started, 1)
    report["machine"]["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    report["targets"] = targets(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(render(report))
    print(f"\nreport: {args.output}  ({report['total_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
