"""Batch evaluation in worker processes, results in input order.

Each worker process loads the rules once (its own immutable `RuleSet`) and evaluates
chunks of inputs; `Pool.imap` hands results back in the order the inputs came.
"""

from __future__ import annotations

import datetime
import itertools
import multiprocessing
from collections.abc import Iterable, Iterator

from framework_dsl.evidence import DEFAULT_LIMITS, Limits
from framework_dsl.inputs import EvidenceInput, Rendered, evaluate_input, render
from framework_dsl.ruleset import RuleSet, load_rules

# One rule set per worker process, set by the pool's initializer. It is never
# shared across processes and never changes after it is set.
_WORKER: dict[str, object] = {}


def _init(
    rules: tuple[str, ...],
    as_of: datetime.date | None,
    framework: str | None,
    explain: bool,
    limits: Limits,
    output_format: str,
    ranks: dict[str, int],
) -> None:
    _WORKER["rules"] = load_rules(*rules).prepare()
    _WORKER["options"] = (as_of, framework, explain, limits, output_format, ranks)


def _work(item: object) -> Rendered:
    rule_set = _WORKER["rules"]
    as_of, framework, explain, limits, output_format, ranks = _WORKER["options"]  # type: ignore[misc]
    assert isinstance(rule_set, RuleSet) and isinstance(item, EvidenceInput)
    result = evaluate_input(rule_set, item, as_of=as_of, framework=framework, explain=explain, limits=limits)
    return render(result, output_format, explain=explain, ranks=ranks)


def evaluate_parallel(
    rules: tuple[str, ...],
    inputs: Iterable[object],
    *,
    as_of: datetime.date | None,
    framework: str | None,
    explain: bool,
    jobs: int,
    output_format: str,
    ranks: dict[str, int],
    limits: Limits = DEFAULT_LIMITS,
    chunk_size: int = 64,
) -> Iterator[Rendered]:
    """Evaluate and write out `inputs` with `jobs` processes; yield them in input order.

    Inputs are handed to the pool a window at a time (`Pool.imap` alone would read the
    whole input ahead), so memory stays bounded however long the input is.
    """
    context = multiprocessing.get_context("spawn")
    window = jobs * chunk_size * 4
    iterator = iter(inputs)
    with context.Pool(
        jobs, initializer=_init, initargs=(rules, as_of, framework, explain, limits, output_format, ranks)
    ) as pool:
        while True:
            batch = list(itertools.islice(iterator, window))
            if not batch:
                return
            yield from pool.imap(_work, batch, chunksize=chunk_size)
