"""Random trees of links: whatever a rules root holds, no command opens anything outside it.

Each tree is a rules root with a good framework file and, at random depths and names,
links to a file outside, to a folder outside, to `/proc/self/environ`, dangling links,
loops of links, links to files inside, named pipes, and ordinary files. A separate
process (audit hooks cannot be removed) builds the trees from a seed and runs, on each,
everything that reads rules — `check_rules`, the linter, the examples, and `fmt` with
`--check`, `--diff` and in place — with an audit hook recording every `open`. The
property: nothing under the outside folder, and not the environment, is ever opened;
nothing raises; every link is still the link it was. `HYPOTHESIS_PROFILE=long` runs
more trees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TREES = 200 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 24

_SCRIPT = r"""
import json, os, random, sys
from pathlib import Path

base, trees = Path(sys.argv[1]), int(sys.argv[2])
GOOD = '''framework t "T"
  effective from 2014-01-01

evidence:
  n: integer "n"

judgement j: boolean
  otherwise true
    because "n is {n}"

example "one"
  given {"framework": "t", "n": 1}
  as of 2020-01-01
  expect j = true
'''
SECRET = "SECRET_LINK_FUZZ"
outside = base / "outside"
(outside / "folder").mkdir(parents=True)
(outside / "secret.fw").write_text(f"framework   {SECRET}\n{SECRET}\n")
(outside / "folder" / "inner.fw").write_text(f"framework   {SECRET}\n{SECRET}\n")
(outside / "evidence.json").write_text('{"framework": "t", "n": 1}')
opened = []
watching = [False]

def hook(event, args):
    if watching[0] and event == "open" and args and isinstance(args[0], (str, bytes)):
        path = args[0].decode("utf-8", "replace") if isinstance(args[0], bytes) else args[0]
        opened.append(path)

from click.testing import CliRunner
from framework_dsl import check_rules
from framework_dsl.cli import framework_dsl
from framework_dsl.examples import run_examples
from framework_dsl.linter import lint_rules

def links(root):
    return {str(p): os.readlink(p) for p in root.rglob("*") if p.is_symlink()}

sys.addaudithook(hook)
problems = []
for seed in range(trees):
    chance = random.Random(seed)
    root = base / f"root{seed}"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "good.fw").write_text(GOOD)
    folders = [root, root / "sub", root / "sub" / "deeper"]
    for index in range(chance.randint(1, 8)):
        where = chance.choice(folders) / f"x{index}.fw"
        kind = chance.choice(["out-file", "out-folder", "environ", "dangling", "loop", "inside", "pipe", "file"])
        if kind == "out-file":
            where.symlink_to(outside / "secret.fw")
        elif kind == "out-folder":
            where.with_suffix("").symlink_to(outside / "folder", target_is_directory=True)
        elif kind == "environ" and Path("/proc/self/environ").exists():
            where.symlink_to("/proc/self/environ")
        elif kind == "dangling":
            where.symlink_to(outside / "missing.fw")
        elif kind == "loop":
            where.symlink_to(where.with_name(where.name + ".fw"))
            where.with_name(where.name + ".fw").symlink_to(where)
        elif kind == "inside":
            where.symlink_to(os.path.relpath(root / "good.fw", where.parent))
        elif kind == "pipe" and hasattr(os, "mkfifo"):
            os.mkfifo(where)
        elif kind == "file":
            where.write_text('enum e' + str(index) + ' "E": a "A"\n')
    before = links(root)
    watching[0] = True
    try:
        rule_set, diagnostics = check_rules(root)
        if rule_set is not None:
            run_examples(rule_set)
        lint_rules(root)
        runner = CliRunner()
        outputs = [runner.invoke(framework_dsl, ["fmt", *flags, str(root)]) for flags in (["--check"], ["--diff"], [])]
    except BaseException as error:  # the property: nothing raises
        problems.append(f"seed {seed}: {type(error).__name__}: {error}")
        continue
    finally:
        watching[0] = False
    for output in outputs:
        if output.exception is not None and not isinstance(output.exception, SystemExit):
            problems.append(f"seed {seed}: fmt raised {output.exception!r}")
        if SECRET in output.output or output.exit_code not in (0, 1, 2):
            problems.append(f"seed {seed}: fmt exit {output.exit_code}: {output.output[:300]}")
    leaks = sorted({p for p in opened if Path(p).resolve().is_relative_to(outside.resolve()) or "environ" in p})
    opened.clear()
    if leaks:
        problems.append(f"seed {seed}: opened outside the root: {leaks}")
    if links(root) != before:
        problems.append(f"seed {seed}: a link was replaced")
print(json.dumps(problems))
"""


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_random_trees_of_links_never_lead_a_command_outside_the_root(tmp_path: Path) -> None:
    """Over random trees of every kind of link: check, lint, the examples and fmt open nothing outside."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"FRAMEWORK_DSL_NO_CACHE": "1"}
    completed = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path), str(TREES)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=environment,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == []
