"""A per-user cache for work that depends only on files: the parser tables and checked rules.

Everything lives in the user's own cache folder (`$XDG_CACHE_HOME/framework-dsl`, else
`~/.cache/framework-dsl`), created private (mode 700) and used only when it belongs to
the current user and nobody else can write to it; it is never shared between users.
Entries are keyed by a SHA-256 of everything they depend on (file contents, engine and
Python versions), so a changed rule file or a new release never sees a stale entry.
Set `FRAMEWORK_DSL_NO_CACHE=1` to turn the cache off.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

ENGINE_VERSION = "0.1.0"
MAX_ENTRIES = 32  # older entries are removed, so editing rules never fills the disk


def cache_dir() -> Path | None:
    """The private cache folder, or None when caching is off or the folder is not safe."""
    if os.environ.get("FRAMEWORK_DSL_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "framework-dsl"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = folder.stat()
    except OSError:
        return None
    if hasattr(os, "getuid") and (status.st_uid != os.getuid() or status.st_mode & 0o022):
        return None
    return folder


@functools.cache
def _engine_stamp() -> str:
    """The engine's own code, by each module's name, size and modification time.

    Cached objects are pickled engine classes, so any change to the engine's code (an
    upgrade, or an edit in a development checkout) must miss the cache.
    """
    package = Path(__file__).resolve().parent
    stamps = []
    for module in sorted(package.rglob("*.py")):
        status = module.stat()
        stamps.append(f"{module.relative_to(package)}:{status.st_size}:{status.st_mtime_ns}")
    return "|".join(stamps)


def key(*parts: bytes | str) -> str:
    """A cache key: the SHA-256 of the parts, the engine's version and code, and Python's version."""
    digest = hashlib.sha256()
    for part in (ENGINE_VERSION, _engine_stamp(), sys.version, *parts):
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def load(name: str) -> Any | None:
    """The cached object called `name`, or None (missing, unreadable or from elsewhere)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with (folder / name).open("rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None


def store(name: str, value: Any) -> None:
    """Write `value` atomically under `name`; failures only mean no cache next time."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        handle = tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}.", delete=False)  # noqa: SIM115
        with handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, folder / name)
    except (OSError, pickle.PickleError, TypeError, AttributeError, RecursionError):
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(handle.name)
        return
    _prune(folder)


def _prune(folder: Path) -> None:
    with contextlib.suppress(OSError):
        entries = sorted(folder.glob("rules-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in entries[MAX_ENTRIES:]:
            stale.unlink()


def grammar_cache_path(grammar_text: str) -> str | None:
    """Where Lark may keep the parser tables built from `grammar_text`."""
    folder = cache_dir()
    if folder is None:
        return None
    return str(folder / f"grammar-{key(grammar_text)[:32]}.lark")
