"""A per-user cache for work that depends only on files: the parser tables and checked rules.

Everything lives in the user's own cache folder (`$XDG_CACHE_HOME/framework-dsl`, else
`~/.cache/framework-dsl`), created private (mode 700) and used only when it belongs to
the current user and nobody else can write to it; it is never shared between users.
Entries are keyed by a SHA-256 of everything they depend on (file contents, engine and
Python versions), so a changed rule file or a new release never sees a stale entry.
Set `FRAMEWORK_DSL_NO_CACHE=1` to turn the cache off.

Every entry is signed: an HMAC-SHA256, under a random key of this user's installation,
of the entry's name and bytes, checked before anything is unpickled. The key lives
apart from the cache, in the user's state folder (`$XDG_STATE_HOME/framework-dsl/cache-key`,
else `~/.local/state/…`, mode 600): a cache folder restored from elsewhere (a CI cache,
a copied home), or written by anyone who cannot read that key, is never unpickled, and
neither is a damaged entry (a truncated file, a flipped byte, a huge frame length).
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


_MAGIC = b"framework-dsl cache 1\n"
_KEY_BYTES = 32


def _private(status: os.stat_result, mode_mask: int) -> bool:
    return not hasattr(os, "getuid") or (status.st_uid == os.getuid() and not status.st_mode & mode_mask)


def _signing_key() -> bytes | None:
    """This installation's random key for signing entries, made on first use; None if it is not safe to use."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    folder = Path(base) / "framework-dsl"
    path = folder / "cache-key"
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder.stat(), 0o022):
            return None
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | nofollow, 0o600)
        except FileExistsError:
            pass
        else:
            import secrets

            with os.fdopen(handle, "wb") as out:
                out.write(secrets.token_bytes(_KEY_BYTES))
        handle = os.open(path, os.O_RDONLY | nofollow)
        with os.fdopen(handle, "rb") as source:
            if not _private(os.fstat(source.fileno()), 0o077):
                return None
            key_bytes = source.read(_KEY_BYTES + 1)
    except OSError:
        return None
    return key_bytes if len(key_bytes) == _KEY_BYTES else None


def _signature(key_bytes: bytes, name: str, data: bytes) -> bytes:
    import hmac  # the cache only: a run answered from the bundle never signs anything

    return hmac.new(key_bytes, name.encode("utf-8") + b"\0" + data, hashlib.sha256).digest()


def load(name: str) -> Any | None:
    """The cached object called `name`, or None (missing, unreadable, unsigned, damaged or from elsewhere).

    The signature is checked before unpickling, so bytes this installation did not write
    are never unpickled; and whatever unpickling a signed entry raises only misses the cache.
    """
    data = load_bytes(name)
    if data is None:
        return None
    try:
        return pickle.loads(data)
    except Exception:  # a signed entry from an older engine: a miss, never a failed run
        return None


def load_bytes(name: str) -> bytes | None:
    """The bytes stored under `name`, if their signature is this installation's."""
    folder = cache_dir()
    key_bytes = _signing_key() if folder is not None else None
    if folder is None or key_bytes is None:
        return None
    try:
        handle = os.open(folder / name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(handle, "rb") as source:
            blob = source.read()
    except OSError:
        return None
    head = len(_MAGIC) + hashlib.sha256().digest_size
    if len(blob) < head or not blob.startswith(_MAGIC):
        return None
    signature, data = blob[len(_MAGIC) : head], blob[head:]
    import hmac

    if not hmac.compare_digest(signature, _signature(key_bytes, name, data)):
        return None
    return data


def store(name: str, value: Any) -> None:
    """Pickle `value` and write it, signed, atomically under `name`; failures only mean no cache next time."""
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PickleError, TypeError, AttributeError, RecursionError):
        return
    store_bytes(name, data)


def store_bytes(name: str, data: bytes) -> None:
    """Write `data`, signed, atomically under `name`."""
    folder = cache_dir()
    key_bytes = _signing_key() if folder is not None else None
    if folder is None or key_bytes is None:
        return
    try:
        handle = tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}.", delete=False)  # noqa: SIM115
        with handle:
            handle.write(_MAGIC + _signature(key_bytes, name, data) + data)
        os.replace(handle.name, folder / name)
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(handle.name)
        return
    _prune(folder)


def _prune(folder: Path) -> None:
    with contextlib.suppress(OSError):
        entries = sorted(folder.glob("rules-*.pickle"), key=lambda p: p.lstat().st_mtime, reverse=True)
        for stale in entries[MAX_ENTRIES:]:
            stale.unlink()


def grammar_cache_name(grammar_text: str) -> str:
    """The entry under which the parser tables built from `grammar_text` are kept."""
    return f"grammar-{key(grammar_text)[:32]}.lark"
