"""The dependency graph of definitions and decisions: every cycle named once, and chains too long to follow."""

from __future__ import annotations

from framework_dsl.checker.scope import MAX_DEPENDENCY_DEPTH, Context


def report_cycles(ctx: Context) -> None:
    """Report each cycle once, and chains deeper than MAX_DEPENDENCY_DEPTH; iterative."""
    graph = {key: sorted(targets) for key, targets in ctx.dependencies.items()}
    state: dict[str, int] = {}
    depth: dict[str, int] = {}
    reported: set[frozenset[str]] = set()
    in_cycle = False
    for root in sorted(graph):
        if root in state:
            continue
        path: list[str] = [root]
        iterators = [iter(graph.get(root, ()))]
        state[root] = 1
        while path:
            key = path[-1]
            target = next(iterators[-1], None)
            if target is None:
                state[key] = 2
                depth[key] = 1 + max((depth.get(t, 0) for t in graph.get(key, ())), default=0)
                path.pop()
                iterators.pop()
            elif state.get(target) == 1:
                in_cycle = True
                _report_cycle(ctx, path[path.index(target) :], target, reported)
            elif target not in state:
                state[target] = 1
                path.append(target)
                iterators.append(iter(graph.get(target, ())))
    if in_cycle:
        return
    deepest = max(depth.items(), key=lambda item: (item[1], item[0]), default=None)
    if deepest is not None and deepest[1] > MAX_DEPENDENCY_DEPTH:
        key, length = deepest
        ctx.error(
            "names.too-deep",
            f"`{key.split(':', 1)[1]}` rests on a chain of {length} judgements and definitions, "
            f"each using the next (at most {MAX_DEPENDENCY_DEPTH})",
            ctx.entities_by_key[key].span,
            "combine steps of the chain, or compute them side by side rather than one from the next",
        )


def _report_cycle(ctx: Context, cycle: list[str], target: str, reported: set[frozenset[str]]) -> None:
    members = frozenset(cycle)
    if members in reported:
        return
    reported.add(members)
    names = " → ".join([*(k.split(":", 1)[1] for k in cycle), target.split(":", 1)[1]])
    ctx.error(
        "names.cycle",
        f"`{target.split(':', 1)[1]}` depends on itself: {names}",
        ctx.entities_by_key[target].span,
        "a judgement or definition cannot use its own outcome, even through others",
    )
