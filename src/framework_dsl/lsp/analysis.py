"""One rule file as an editor holds it: checked with its imports, its diagnostics, and its names indexed.

`analyse` finds the rules root the file's imports are written against, loads the file
and what it imports (the text of every open document from the editor, not the disk),
checks them, and keeps the diagnostics that belong to the file: its own, and one at
each import whose module has errors of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import attrs

from framework_dsl import ir, nodes
from framework_dsl.checker.symbols import SymbolIndex, index_program
from framework_dsl.diagnostics import Diagnostic, Label, Severity, sort_diagnostics
from framework_dsl.loader import (
    RULE_SUFFIX,
    LoadedFile,
    LoadedRules,
    find_import_root,
    load_module,
)


@attrs.frozen(eq=False)
class Analysis:
    """What the checker found in one file, and how to read its names."""

    path: Path  # resolved
    root: Path
    text: str  # the text that was checked
    loaded: LoadedRules
    frameworks: Mapping[str, ir.Framework]
    diagnostics: tuple[Diagnostic, ...]  # every diagnostic of the check, in every file
    index: SymbolIndex

    @property
    def file(self) -> LoadedFile | None:
        """The file as loaded, or None when it does not parse."""
        return next((f for f in self.loaded.files if f.path == self.path), None)

    @property
    def has_errors(self) -> bool:
        """Whether the check found any error, in this file or one it imports."""
        return any(d.severity is Severity.ERROR for d in self.diagnostics)

    def path_of(self, diagnostic: Diagnostic) -> Path | None:
        """The file a diagnostic is in."""
        if diagnostic.span is not None:
            return self.index.file_of(diagnostic.span.source) or self.loaded.paths.get(diagnostic.span.source.path)
        return self.loaded.paths.get(diagnostic.document or "")

    def own_diagnostics(self) -> list[Diagnostic]:
        """The diagnostics to show in this file: its own, and a summary at each import of a module with errors."""
        own = [d for d in self.diagnostics if self.path_of(d) == self.path]
        elsewhere: dict[Path, list[Diagnostic]] = {}
        for diagnostic in self.diagnostics:
            where = self.path_of(diagnostic)
            if where is not None and where != self.path and diagnostic.severity is Severity.ERROR:
                elsewhere.setdefault(where, []).append(diagnostic)
        file = self.file
        if file is not None and elsewhere:
            for item in file.tree.items:
                if not isinstance(item, nodes.ImportModule | nodes.ImportNames):
                    continue
                target = self.root.joinpath(*(p.text for p in item.path)).with_suffix(RULE_SUFFIX).resolve()
                problems = sort_diagnostics(elsewhere.get(target, []))
                if not problems:
                    continue
                dotted = ".".join(p.text for p in item.path)
                first = problems[0]
                count = len(problems)
                own.append(
                    Diagnostic(
                        code="editor.imported-errors",
                        message=f"the module `{dotted}` has {count} error{'s' if count != 1 else ''}; "
                        f"the first: {first.message}",
                        span=item.path[0].span.cover(item.path[-1].span),
                        labels=tuple(Label(p.span, p.message) for p in problems[:5] if p.span is not None),
                        hint=f"open {target.name} to see them",
                    )
                )
        return sort_diagnostics(own)


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_IMPORT = re.compile(rf"^[ \t]*import\s+(?:{_NAME}(?:\s*,\s*{_NAME})*\s+from\s+)?({_NAME}(?:\.{_NAME})*)", re.MULTILINE)


def imports_in(text: str) -> list[str]:
    """The modules a rule file's text imports, found without parsing it (so a file with a syntax error
    elsewhere still finds its rules root, and a file is parsed once per check, by the loader).

    >>> imports_in("import rating, good from shared.scales\\nimport shared.cqc_standards as s\\n")
    ['shared.scales', 'shared.cqc_standards']
    """
    return [found.group(1) for found in _IMPORT.finditer(text)]


def analyse(path: Path, overrides: Mapping[Path, str]) -> Analysis:
    """Check the rule file at `path`, reading open documents' text from `overrides` (resolved path -> text)."""
    path = path.resolve()
    text = overrides.get(path)
    if text is None:
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
    root = find_import_root(path, imports_in(text), overrides=overrides)
    loaded = load_module(path, root, overrides=overrides)
    frameworks, diagnostics, index = index_program(loaded)
    return Analysis(
        path=path,
        root=root,
        text=text,
        loaded=loaded,
        frameworks=frameworks,
        diagnostics=tuple(sort_diagnostics(diagnostics)),
        index=index,
    )
