"""The precompiled bundle of the bundled rules, built into the wheel.

A wheel holds `framework_dsl/bundle.bin`, written at build time (`hatch_build.py`, by
`framework_dsl.bundler`): the checked program of the bundled rules, each framework's
compiled programs (`programs`) and the parser's tables. `framework-check` with the
bundled rules then neither parses, checks nor compiles, and a fresh container's first
run is as fast as a warm one.

The bundle is part of the installed package, so it has the trust of the code beside it
(docs/security.md): it is not signed, unlike the per-user cache, whose folder is the
user's. It is used only when it was built by this engine version for this Python, and
(for the rules) when the SHA-256 of every rule file under the installed rules root is
exactly the digest it was built from; for the parser's tables, when the grammar's text
and Lark's version are those it was built with. Otherwise the normal path (and the user
cache) answers, as it does where there is no bundle at all (an editable install, a
source checkout). `FRAMEWORK_DSL_NO_BUNDLE=1` turns it off.

The file: a magic line, a JSON header line (what it was built from, and the size of each
section), then the sections: the rules (a pickle of the rules' digest, their warnings, the
example files they read and the names of the frameworks), each checked framework pickled
on its own (`framework:NAME`, as the checker gave it), each framework's compiled programs
(`program:KEY`, pickled as `programs.ProgramStore` keys them), and the parser's tables
(`Lark.save`).
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import pickle
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from framework_dsl.cache import ENGINE_VERSION
from framework_dsl.resources import bundled_rules_root

MAGIC = b"framework-dsl bundle 1\n"
FILE_NAME = "bundle.bin"
FRAMEWORK_SECTION = "framework:"  # each framework's own section: "framework:cqc"
PROGRAM_SECTION = "program:"  # a compiled program's section: "program:decisions:cqc" (`programs`)
RULE_SUFFIX = ".fw"


def bundle_path() -> Path:
    """Where an installed package keeps its bundle (absent in a source checkout)."""
    return Path(__file__).resolve().parent / FILE_NAME


def python_tag() -> str:
    """The Python the bundle is for: implementation and version (`cpython-3.11`)."""
    return f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}"


def rules_digest(root: Path) -> str | None:
    """SHA-256 of every `*.fw` regular file under `root` (its path there and its bytes); None if unreadable.

    The files are those the loader reads from the folder: regular files that really sit
    under it (a link out of the root is not one of them).
    """
    digest = hashlib.sha256()
    try:
        folder = root.resolve()
        for file in sorted(folder.rglob("*" + RULE_SUFFIX)):
            if not file.is_file() or not file.resolve().is_relative_to(folder):
                continue
            for part in (file.relative_to(folder).as_posix().encode("utf-8"), file.read_bytes()):
                digest.update(len(part).to_bytes(8, "big") + part)
    except (OSError, RuntimeError):  # unreadable, or a loop of links
        return None
    return "sha256:" + digest.hexdigest()


def grammar_digest(text: str) -> str:
    """SHA-256 of the grammar's text."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def encode(header: dict[str, Any], sections: Mapping[str, bytes | memoryview]) -> bytes:
    """The bundle file's bytes: magic, header (with each section's size) and the sections in order."""
    full = {**header, "sections": [[name, len(data)] for name, data in sections.items()]}
    line = json.dumps(full, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return MAGIC + line + b"\n" + b"".join(sections.values())


def decode(blob: bytes | mmap.mmap) -> tuple[dict[str, Any], dict[str, memoryview]] | None:
    """(header, sections) of a bundle file's bytes; None if it is not a whole bundle.

    The sections are views of `blob`, not copies.
    """
    if blob[: len(MAGIC)] != MAGIC:
        return None
    end = blob.find(b"\n", len(MAGIC))
    if end < 0:
        return None
    try:
        header = json.loads(blob[len(MAGIC) : end])
        if not isinstance(header, dict):
            return None
        layout = [(str(name), int(size)) for name, size in header["sections"]]
    except (ValueError, KeyError, TypeError):
        return None
    view = memoryview(blob)
    sections, offset = {}, end + 1
    for name, size in layout:
        if size < 0 or offset + size > len(blob):
            return None
        sections[name] = view[offset : offset + size]
        offset += size
    return (header, sections) if offset == len(blob) else None


def _read(path: Path) -> tuple[dict[str, Any], dict[str, memoryview]] | None:
    """The bundle at `path` when it is for this engine and this Python; None otherwise (or when turned off).

    The file is mapped, not read: only the sections used (the rules' index and the
    frameworks evaluated, or the parser's tables) are ever read from disk. It is mapped
    afresh each time it is asked for (once for the rules, at most once for the parser)
    and unmapped once nothing uses it, so a long-running process keeps no more of it than
    the frameworks it has not unpickled yet. A file replaced while mapped (an upgrade:
    installers write new files, never into old ones) stays readable as it was; one cut
    short in place under a running process would stop it, as a compiled extension
    module of the installation would (those are mapped too).
    """
    if os.environ.get("FRAMEWORK_DSL_NO_BUNDLE"):
        return None
    try:
        with path.open("rb") as source:
            blob: bytes | mmap.mmap = mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # missing, unreadable or empty
        return None
    found = decode(blob)
    if found is None:
        return None
    header, _ = found
    if header.get("engine") != ENGINE_VERSION or header.get("python") != python_tag():
        return None
    return found


class Bundled:
    """The bundled rules as the bundle holds them: each framework unpickled when first asked
    for, and the sections holding their compiled programs (`programs`), by section name."""

    def __init__(
        self,
        digest: str,
        warnings: tuple[Any, ...],
        frameworks: LazyFrameworks,
        programs: Mapping[str, memoryview] | None = None,
    ) -> None:
        self.digest = digest
        self.warnings = warnings
        self.frameworks = frameworks
        self.programs = programs or {}


class LazyFrameworks(Mapping[str, Any]):
    """A read-only mapping of framework name to checked framework, each unpickled on first use.

    `framework-check` on one document needs one framework: the others are never
    unpickled. Each framework was pickled on its own (what it shares with another is a
    copy, equal but not the same object), and is moved from the root the bundle was built
    in to the installed one as it is loaded. Safe to share between threads.
    """

    def __init__(self, pickles: Mapping[str, bytes | memoryview], built_root: str | None, root: str) -> None:
        self._pickles = dict(pickles)
        self._names = tuple(pickles)
        self._loaded: dict[str, Any] = {}
        self._move = None if built_root is None or built_root == root else (built_root, root)
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> Any:
        found = self._loaded.get(name)
        if found is not None:
            return found
        with self._lock:
            found = self._loaded.get(name)
            if found is None:
                found = pickle.loads(self._pickles[name])  # KeyError: no such framework
                if self._move is not None:
                    found = relocate_framework(found, *self._move)
                self._loaded[name] = found
                del self._pickles[name]
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def loaded(self) -> tuple[str, ...]:
        """The names of the frameworks unpickled so far."""
        return tuple(name for name in self._names if name in self._loaded)

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self.items()),))


def load_rules_section(root: Path, path: Path | None = None) -> Bundled | None:
    """The rules under `root`, from the bundle; None when it cannot answer.

    It answers only for the rules root it was built from (as installed) and only when the
    rule files there have exactly the digest it was built from, and every example file
    the rules read is still a file inside the root (as the per-user cache checks too).
    """
    found = _read(path or bundle_path())
    if found is None:
        return None
    header, sections = found
    if "rules" not in sections or header.get("rules_digest") is None:
        return None
    if header["rules_digest"] != rules_digest(root):
        return None
    try:
        value = pickle.loads(sections["rules"])
        digest, warnings, names, example_files = (
            value["digest"],
            tuple(value["warnings"]),
            value["frameworks"],
            value["example_files"],
        )
        pickles = {name: sections[FRAMEWORK_SECTION + name] for name in names}
    except Exception:  # a bundle this engine cannot read: the normal path answers
        return None
    built_root = header.get("rules_root")
    here = str(root.resolve())
    built = built_root if isinstance(built_root, str) else None
    for file, inside in example_files:
        moved, moved_root = (_moved(file, built, here), _moved(inside, built, here)) if built else (file, inside)
        if not _still_inside(moved, moved_root):
            return None
    programs = {name: section for name, section in sections.items() if name.startswith(PROGRAM_SECTION)}
    return Bundled(digest, warnings, LazyFrameworks(pickles, built, here), programs)


def _still_inside(file: str | None, root: str | None) -> bool:
    if file is None or root is None:
        return True
    try:
        path = Path(file)
        return path.is_file() and path.resolve().is_relative_to(Path(root).resolve())
    except (OSError, RuntimeError):
        return False


def _moved(value: str | None, old: str, new: str) -> str | None:
    """`value`, a path under root `old`, under root `new` instead (other paths unchanged)."""
    if value is None:
        return None
    if value == old:
        return new
    prefix = old.rstrip(os.sep) + os.sep
    return new.rstrip(os.sep) + os.sep + value[len(prefix) :] if value.startswith(prefix) else value


def relocate_framework(framework: Any, old: str, new: str) -> Any:
    """The framework with the absolute paths of its examples moved from root `old` to root `new`.

    Only examples hold absolute paths (`given file` and the root it is checked against);
    the rule files themselves are named from the root's folder (`rules/cqc/cqc.fw`).
    """
    import attrs

    examples = tuple(
        attrs.evolve(
            example,
            evidence_path=_moved(example.evidence_path, old, new),
            evidence_root=_moved(example.evidence_root, old, new),
        )
        for example in framework.examples
    )
    return attrs.evolve(framework, examples=examples)


def load_grammar_section(grammar_text: str, lark_version: str, path: Path | None = None) -> memoryview | None:
    """The parser's tables (`Lark.save` bytes) for `grammar_text` under this Lark, from the bundle; else None."""
    found = _read(path or bundle_path())
    if found is None:
        return None
    header, sections = found
    if header.get("grammar_digest") != grammar_digest(grammar_text) or header.get("lark") != lark_version:
        return None
    return sections.get("grammar")


def answers_for(paths: tuple[str | Path, ...]) -> Path | None:
    """The installed rules root when `paths` asks for the bundled rules (none given, or that folder, absolute)."""
    root = bundled_rules_root()
    if not paths:
        return root
    if len(paths) == 1:
        given = Path(paths[0])
        try:
            if given.is_absolute() and given.resolve() == root.resolve():
                return root
        except (OSError, RuntimeError):
            return None
    return None
