"""Text from evidence made safe to print: control characters shown, never obeyed.

Evidence is not trusted (docs/security.md). A subject, a reason that quotes an evidence
value or a problem's "found" text may hold terminal control sequences: `ESC [ 2 J` clears
the screen, `ESC ] 0 ; … BEL` retitles the window, a carriage return or backspaces
overprint what came before, U+202E turns the rest of the line around. `printable`
replaces every such character with its escape (`\\x1b`, `\\r`, `\\u202e`), so what was
there is still visible and nothing is lost, but the terminal does nothing with it.

click's `echo` strips ANSI colour sequences (`ESC [ … m`) from text written to
something that is not a terminal; that keeps colour out of files but leaves other
control characters, and it strips nothing on a terminal, so every report and
diagnostic about evidence goes through `printable` instead.
"""

from __future__ import annotations

import re

# C0 controls (tab and newline included: inside one value they would break the
# report's layout), DEL, C1 controls (U+009B is a one-character CSI), the line and
# paragraph separators, the bidirectional embeddings, overrides and isolates, and lone
# surrogates (which have no UTF-8 form to print).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control character written as its escape (`\\x1b`, `\\n`, `\\u202e`)."""
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


def printable_lines(text: str) -> str:
    """Like `printable` for each line of `text`, keeping its line breaks (`\\n`)."""
    return "\n".join(printable(line) for line in text.split("\n"))
