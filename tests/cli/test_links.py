"""Links of every kind, under every command that reads rules: nothing outside the root is
read, printed or replaced, and nothing hangs.

A rules root holds a good framework file and, beside it, a symbolic link to a rule file
outside (holding a secret in a syntax error, so a read would print it in an excerpt), a
link to `/proc/self/environ` (the process environment holds the secret too), a link to a
folder outside, a dangling link, a loop of links and a named pipe called `pipe.fw`.
Every command runs as a real process with a timeout: exit 0, 1 or 2, no traceback, no
secret in its output, and every link and outside file exactly as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SECRET = "SECRET_6d1f0c2a"
GOOD = """\
framework t "T"
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
"""
# Badly laid out (fmt would rewrite it) and a syntax error (check would show an excerpt).
OUTSIDE = f'framework   {SECRET} "x"\n  effective from 2014-01-01\n{SECRET} {SECRET}\n'
ENVIRON = Path("/proc/self/environ")
DSL = [sys.executable, "-c", "import framework_dsl.cli; from framework_dsl.cli.dsl import main_dsl; main_dsl()"]
CHECK = [sys.executable, "-c", "from framework_dsl.cli.check import main_check; main_check()"]


def _snapshot(paths: list[Path]) -> list[tuple[str, bool, str | bytes | None]]:
    """Each path's kind and contents (a link's target, a file's bytes), never following a link to read."""
    seen: list[tuple[str, bool, str | bytes | None]] = []
    for path in paths:
        if path.is_symlink():
            seen.append((str(path), True, str(path.readlink())))
        elif path.is_file():
            seen.append((str(path), False, path.read_bytes()))
        else:
            seen.append((str(path), False, None))
    return seen


@pytest.fixture
def tangled(tmp_path: Path) -> dict[str, Path]:
    """A rules root with links of every kind (and a named pipe), and the folder outside it."""
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.fw").write_text(OUTSIDE, encoding="utf-8")
    (outside / "folder" / "secret.fw").write_text(OUTSIDE, encoding="utf-8")
    root = tmp_path / "root"
    root.mkdir()
    (root / "good.fw").write_text(GOOD, encoding="utf-8")
    (root / "out.fw").symlink_to(outside / "secret.fw")
    (root / "folder").symlink_to(outside / "folder", target_is_directory=True)
    (root / "dangling.fw").symlink_to(outside / "missing.fw")
    (root / "loop1.fw").symlink_to(root / "loop2.fw")
    (root / "loop2.fw").symlink_to(root / "loop1.fw")
    if ENVIRON.exists():
        (root / "env.fw").symlink_to(ENVIRON)
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "pipe.fw")
    evidence = tmp_path / "evidence.json"
    evidence.write_text('{"framework": "t", "n": 3}', encoding="utf-8")
    return {"root": root, "outside": outside, "evidence": evidence}


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environment["FRAMEWORK_DSL_LINK_TEST"] = SECRET  # so /proc/self/environ holds it
    environment["FRAMEWORK_DSL_NO_CACHE"] = "1"
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=60, check=False)


def _commands(paths: dict[str, Path], rules: Path) -> list[list[str]]:
    """Every command that reads rules, given `rules` as its root (a folder or one file)."""
    evidence = str(paths["evidence"])
    return [
        [*DSL, "check", str(rules)],
        [*DSL, "lint", str(rules)],
        [*DSL, "test", str(rules)],
        [*DSL, "fmt", "--check", str(rules)],
        [*DSL, "fmt", "--diff", str(rules)],
        [*DSL, "fmt", str(rules)],
        [*DSL, "explain", evidence, "j", "--rules", str(rules), "--as-of", "2020-01-01"],
        [*DSL, "schema", "t", "--rules", str(rules)],
        [*CHECK, evidence, "--rules", str(rules), "--as-of", "2020-01-01", "--format", "json"],
    ]


def _assert_clean(run: subprocess.CompletedProcess[str]) -> None:
    shown = run.stdout + run.stderr
    assert run.returncode in (0, 1, 2), shown
    assert "Traceback" not in shown and "internal error" not in shown, shown
    assert SECRET not in shown, shown


def test_every_command_on_a_root_with_links_reads_nothing_outside(tangled: dict[str, Path]) -> None:
    """Over the folder: the good file is used, every link out (and the pipe) is skipped, nothing is replaced."""
    root = tangled["root"]
    watched = [*sorted(root.iterdir()), *sorted(tangled["outside"].rglob("*"))]
    before = _snapshot(watched)
    for command in _commands(tangled, root):
        run = _run(command, root.parent)
        _assert_clean(run)
        if "fmt" not in command:  # the good file checks, so every command but fmt succeeds on it
            assert run.returncode == 0, run.stdout + run.stderr
        assert _snapshot(watched) == before, command


@pytest.mark.parametrize("name", ["out.fw", "env.fw", "dangling.fw", "loop1.fw", "pipe.fw"])
def test_every_command_refuses_a_named_link_out_or_a_special_file(tangled: dict[str, Path], name: str) -> None:
    """A link named as the rules (to a file outside, the environment, nothing, itself) or a pipe is a clean
    exit 2, and nothing is read from outside or replaced."""
    root = tangled["root"]
    if not (root / name).is_symlink() and not (root / name).exists():
        pytest.skip(f"{name} cannot be made here")
    watched = [*sorted(root.iterdir()), *sorted(tangled["outside"].rglob("*"))]
    before = _snapshot(watched)
    for command in _commands(tangled, root / name):
        run = _run(command, root.parent)
        _assert_clean(run)
        assert run.returncode == 2, (command, run.stdout + run.stderr)
        assert _snapshot(watched) == before, command


def test_fmt_rewrites_through_a_link_inside_the_root_and_keeps_the_link(tmp_path: Path) -> None:
    """A link to a file inside the root is formatted through: the target is rewritten, the link stays a link."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "real.fw").write_text(GOOD.replace("framework t", "framework   t"), encoding="utf-8")
    (root / "alias.fw").symlink_to(Path("sub") / "real.fw")
    for target in (root, root / "alias.fw"):
        (root / "sub" / "real.fw").write_text(GOOD.replace("framework t", "framework   t"), encoding="utf-8")
        run = _run([*DSL, "fmt", str(target)], tmp_path)
        assert run.returncode == 0, run.stderr
        assert (root / "alias.fw").is_symlink()
        assert (root / "alias.fw").readlink() == Path("sub") / "real.fw"
        assert (root / "sub" / "real.fw").read_text(encoding="utf-8") == GOOD


def test_a_dangling_rules_link_is_refused_without_walking_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--rules dangling.fw` with the cache on walks no folder (it walked all of `/`) and is `modules.not-found`."""
    from framework_dsl import check_rules

    monkeypatch.delenv("FRAMEWORK_DSL_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    walked: list[Path] = []
    original = Path.rglob

    def rglob(self: Path, pattern: str):  # type: ignore[no-untyped-def]
        walked.append(self)
        return original(self, pattern)

    monkeypatch.setattr(Path, "rglob", rglob)
    link = tmp_path / "dangling.fw"
    link.symlink_to("/nonexistent-framework-dsl/rules.fw")
    rule_set, diagnostics = check_rules(link)
    assert rule_set is None
    assert [d.code for d in diagnostics] == ["modules.not-found"]
    assert walked == []


def test_a_rules_link_to_a_file_outside_does_not_make_its_folder_the_root(tmp_path: Path) -> None:
    """`--rules link.fw` (to a file elsewhere that imports its neighbour) is `modules.outside-root`:
    the neighbour is never read."""
    from framework_dsl import check_rules

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "main.fw").write_text("import neighbour\n" + GOOD, encoding="utf-8")
    (elsewhere / "neighbour.fw").write_text('enum e "E": a "A"\n', encoding="utf-8")
    here = tmp_path / "here"
    here.mkdir()
    (here / "link.fw").symlink_to(elsewhere / "main.fw")
    rule_set, diagnostics = check_rules(here / "link.fw")
    assert rule_set is None
    assert [d.code for d in diagnostics] == ["modules.outside-root"]
