"""The precompiled bundle of the bundled rules, built into the wheel.

A wheel holds `framework_dsl/bundle.bin`, written at build time (`hatch_build.py`, by
`framework_dsl.bundler`): the checked program of the bundled rules and the parser's
tables. `framework-check` with the bundled rules then neither parses nor checks, and a
fresh container's first run is as fast as a warm one.

The bundle is part of the installed package, so it has the trust of the code beside it
(docs/security.md): it is not signed, unlike the per-user cache, whose folder is the
user's. It is used only when it was built by this engine version for this Python, and
(for the rules) when the SHA-256 of every rule file under the installed rules root is
exactly the digest it was built from; for the parser's tables, when the grammar's text
and Lark's version are those it was built with. Otherwise the normal path (and the user
cache) answers, as it does where there is no bundle at all (an editable install, a
source checkout). `FRAMEWORK_DSL_NO_BUNDLE=1` turns it off.

The file: a magic line, a JSON header line (what it was built from, and the size of each
section), then the sections: the rules (a pickle of the checked frameworks, the rules'
digest and their warnings, as the checker gave them) and the parser's tables (`Lark.save`).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from framework_dsl.cache import ENGINE_VERSION
from framework_dsl.resources import bundled_rules_root

MAGIC = b"framework-dsl bundle 1\n"
FILE_NAME = "bundle.bin"
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


def encode(header: dict[str, Any], sections: dict[str, bytes]) -> bytes:
    """The bundle file's bytes: magic, header (with each section's size) and the sections in order."""
    full = {**header, "sections": [[name, len(data)] for name, data in sections.items()]}
    line = json.dumps(full, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return MAGIC + line + b"\n" + b"".join(sections.values())


def decode(blob: bytes) -> tuple[dict[str, Any], dict[str, bytes]] | None:
    """(header, sections) of a bundle file's bytes; None if it is not a whole bundle."""
    if not blob.startswith(MAGIC):
        return None
    end = blob.find(b"\n", len(MAGIC))
    if end < 0:
        return None
    try:
        header = json.loads(blob[len(MAGIC) : end])
        layout = [(str(name), int(size)) for name, size in header["sections"]]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(header, dict):
        return None
    sections, offset = {}, end + 1
    for name, size in layout:
        if size < 0 or offset + size > len(blob):
            return None
        sections[name] = blob[offset : offset + size]
        offset += size
    return (header, sections) if offset == len(blob) else None


def _read(path: Path) -> tuple[dict[str, Any], dict[str, bytes]] | None:
    """The bundle at `path` when it is for this engine and this Python; None otherwise (or when turned off).

    Read afresh each time (it is asked once for the rules and at most once for the parser),
    so a long-running process never keeps its bytes.
    """
    if os.environ.get("FRAMEWORK_DSL_NO_BUNDLE"):
        return None
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    found = decode(blob)
    if found is None:
        return None
    header, _ = found
    if header.get("engine") != ENGINE_VERSION or header.get("python") != python_tag():
        return None
    return found


def load_rules_section(root: Path, path: Path | None = None) -> tuple[Any, str, tuple[Any, ...]] | None:
    """(frameworks, digest, warnings) of the rules under `root`, from the bundle; None when it cannot answer.

    It answers only for the rules root it was built from (as installed) and only when the
    rule files there have exactly the digest it was built from.
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
    except Exception:  # a bundle this engine cannot read: the normal path answers
        return None
    if not (isinstance(value, tuple) and len(value) == 3):
        return None
    frameworks, digest, warnings = value
    built_root = header.get("rules_root")
    here = str(root.resolve())
    if isinstance(built_root, str) and built_root != here:
        frameworks = relocate(frameworks, built_root, here)
    return frameworks, digest, tuple(warnings)


def relocate(frameworks: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The frameworks with the absolute paths of their examples moved from root `old` to root `new`.

    Only examples hold absolute paths (`given file` and the root it is checked against);
    the rule files themselves are named from the root's folder (`rules/cqc/cqc.fw`).
    """
    import attrs

    def moved(value: str | None) -> str | None:
        if value is None:
            return None
        if value == old:
            return new
        prefix = old.rstrip(os.sep) + os.sep
        return new.rstrip(os.sep) + os.sep + value[len(prefix) :] if value.startswith(prefix) else value

    result = {}
    for name, framework in frameworks.items():
        examples = tuple(
            attrs.evolve(
                example, evidence_path=moved(example.evidence_path), evidence_root=moved(example.evidence_root)
            )
            for example in framework.examples
        )
        result[name] = attrs.evolve(framework, examples=examples)
    return result


def load_grammar_section(grammar_text: str, lark_version: str, path: Path | None = None) -> bytes | None:
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
