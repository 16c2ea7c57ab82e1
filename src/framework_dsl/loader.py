"""The load stage: rule files and folders -> parsed files with their imports resolved.

Every `*.fw` file in a given folder (or the one file given) is parsed. Its rules root
(`resources.find_rules_root`) is the nearest folder at or above it that holds a
`rules-root` file, else the given folder; `import shared.scales` names the file
`shared/scales.fw` under that root, so `rules/cqc` alone imports from `rules/shared`.
An import that does not exist, that leaves the root (through a symbolic link; the
syntax has no `..`), or that closes a cycle is a diagnostic at the import line.

A file reached from a relative path is shown relative to the current folder
(`rules/cqc/cqc.fw`, or `../shared/scales.fw` from inside `rules/cqc`); one reached
from an absolute path is shown from its root's folder name (`rules/cqc/cqc.fw` for
the bundled rules wherever they are installed).
The digest of every loaded file's bytes, named from its root's folder, identifies the
exact rules a result used, whichever folder the command was run from.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import attrs

from framework_dsl import nodes
from framework_dsl.diagnostics import Diagnostic, did_you_mean
from framework_dsl.parser import parse_source
from framework_dsl.resources import ROOT_MARKER, find_rules_root
from framework_dsl.source import SourceFile

RULE_SUFFIX = ".fw"


@attrs.frozen(eq=False)
class LoadedFile:
    """One parsed rule file and where it sits."""

    source: SourceFile
    tree: nodes.RuleFile
    module: str  # dotted path under its root: "shared.scales"
    path: Path
    root: Path
    imports: dict[int, str]  # id(import node) -> module name it resolved to

    @property
    def framework(self) -> nodes.FrameworkDecl | None:
        """The file's `framework` declaration, if it is a framework file."""
        for item in self.tree.items:
            if isinstance(item, nodes.FrameworkDecl):
                return item
        return None


@attrs.frozen
class LoadedRules:
    """Every file loaded from the given roots, the digest, and any problems."""

    files: tuple[LoadedFile, ...]
    digest: str
    diagnostics: tuple[Diagnostic, ...]


def load_files(paths: Sequence[Path]) -> LoadedRules:
    """Load rule files from files or folders; each folder is a rules root."""
    loader = _Loader()
    for path in paths:
        loader.load_root(Path(path))
    digest = hashlib.sha256()
    for key in sorted(loader.files):
        loaded = loader.files[key]
        digest.update(_anchored_path(loaded.path, loaded.root).encode("utf-8") + b"\0")
        digest.update(loaded.source.text.encode("utf-8") + b"\0")
    loader.find_cycles()
    return LoadedRules(
        files=tuple(loader.files[key] for key in sorted(loader.files)),
        digest="sha256:" + digest.hexdigest(),
        diagnostics=tuple(loader.diagnostics),
    )


def module_name(path: Path, root: Path) -> str:
    """`shared/scales.fw` under `root` -> `shared.scales`."""
    relative = path.relative_to(root).with_suffix("")
    return ".".join(relative.parts)


class _Loader:
    def __init__(self) -> None:
        self.files: dict[tuple[str, str], LoadedFile] = {}
        self.diagnostics: list[Diagnostic] = []

    def load_root(self, path: Path) -> None:
        if not path.exists():
            self.diagnostics.append(
                Diagnostic(
                    code="modules.not-found",
                    message=f"no rule file or folder at `{path}`",
                    document=str(path),
                    hint="give a `.fw` file or a folder that holds them",
                )
            )
            return
        root = find_rules_root(path)
        relative = not path.is_absolute()
        if path.is_dir():
            folder = path.resolve()
            for file in sorted(folder.rglob("*" + RULE_SUFFIX)):
                if file.is_file() and _inside(file, folder):
                    self.load_file(file, root, relative)
        else:
            self.load_file(path.resolve(), root, relative)

    def load_file(self, file: Path, root: Path, relative: bool) -> LoadedFile | None:
        module = module_name(file, root)
        key = (str(root), module)
        if key in self.files:
            return self.files[key]
        display = _display_path(file, root, relative)
        try:
            text = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            self.diagnostics.append(
                Diagnostic(
                    code="modules.unreadable",
                    message=f"this rule file is not UTF-8 text (byte {error.start} is not valid)",
                    document=display,
                    hint="save the file as UTF-8",
                )
            )
            return None
        except OSError as error:
            self.diagnostics.append(
                Diagnostic(
                    code="modules.unreadable",
                    message=f"this rule file cannot be read: {error.strerror}",
                    document=display,
                )
            )
            return None
        source = SourceFile(display, text.removeprefix("\ufeff"))
        tree, problems = parse_source(source)
        self.diagnostics.extend(problems)
        if tree is None:
            return None
        loaded = LoadedFile(source=source, tree=tree, module=module, path=file, root=root, imports={})
        self.files[key] = loaded
        for item in tree.items:
            if isinstance(item, nodes.ImportModule | nodes.ImportNames):
                self._resolve_import(loaded, item, relative)
        return loaded

    def _resolve_import(self, loaded: LoadedFile, item: nodes.ImportModule | nodes.ImportNames, relative: bool) -> None:
        dotted = ".".join(part.text for part in item.path)
        span = item.path[0].span.cover(item.path[-1].span)
        target = loaded.root.joinpath(*(part.text for part in item.path)).with_suffix(RULE_SUFFIX)
        if not target.exists():
            known = [module_name(p, loaded.root) for p in loaded.root.rglob("*" + RULE_SUFFIX)]
            self.diagnostics.append(
                Diagnostic(
                    code="modules.not-found",
                    message=f"there is no module `{dotted}` in the rules root",
                    span=span,
                    hint=did_you_mean(dotted, known)
                    or _marker_hint(loaded.root, dotted)
                    or f"`import {dotted}` reads the file {dotted.replace('.', '/')}{RULE_SUFFIX} under the rules root",
                )
            )
            return
        if not _inside(target, loaded.root):
            self.diagnostics.append(
                Diagnostic(
                    code="modules.outside-root",
                    message=f"the module `{dotted}` leads outside the rules root",
                    span=span,
                    hint=(
                        "imports may only read files inside the rules root; copy the module in instead of linking to it"
                    ),
                )
            )
            return
        if not target.is_file():
            self.diagnostics.append(
                Diagnostic(
                    code="modules.unreadable",
                    message=f"the module `{dotted}` is not a regular file",
                    span=span,
                    hint="a module is a .fw text file; this path is a folder, a pipe or a device",
                )
            )
            return
        resolved = target.resolve()
        imported = self.load_file(resolved, loaded.root, relative)
        if imported is not None:
            loaded.imports[id(item)] = imported.module

    def find_cycles(self) -> None:
        graph: dict[tuple[str, str], list[tuple[tuple[str, str], nodes.Decl]]] = {}
        for key, loaded in self.files.items():
            edges = []
            for item in loaded.tree.items:
                if id(item) in loaded.imports:
                    edges.append(((key[0], loaded.imports[id(item)]), item))
            graph[key] = edges
        state: dict[tuple[str, str], int] = {}
        stack: list[tuple[str, str]] = []
        reported: set[frozenset[tuple[str, str]]] = set()

        def visit(node: tuple[str, str]) -> None:
            state[node] = 1
            stack.append(node)
            for target, item in graph.get(node, []):
                if state.get(target) == 1:
                    cycle = stack[stack.index(target) :]
                    members = frozenset(cycle)
                    if members not in reported:
                        reported.add(members)
                        names = " → ".join([*(m for _, m in cycle), target[1]])
                        self.diagnostics.append(
                            Diagnostic(
                                code="modules.import-cycle",
                                message=f"these modules import each other in a circle: {names}",
                                span=item.span,
                                hint="move the shared declarations into a module that imports neither",
                            )
                        )
                elif target not in state:
                    visit(target)
            stack.pop()
            state[node] = 2

        for node in sorted(graph):
            if node not in state:
                visit(node)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _anchored_path(file: Path, root: Path) -> str:
    """`rules/cqc/cqc.fw`: the file under its root, starting from the root's folder name."""
    relative = file.relative_to(root).as_posix()
    return f"{root.name}/{relative}" if root.name else relative


def _display_path(file: Path, root: Path, relative: bool) -> str:
    """How a file is named in diagnostics and locations (see the module's docstring)."""
    if relative:
        try:
            return Path(os.path.relpath(file, Path.cwd().resolve())).as_posix()
        except (ValueError, OSError):  # another drive, or the current folder is gone
            pass
    return _anchored_path(file, root)


def _shown_folder(folder: Path) -> str:
    """A folder as a message names it: relative to the current folder when under it."""
    try:
        shown = folder.relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(folder)
    return shown


def _marker_hint(root: Path, dotted: str) -> str | None:
    """When the module is found in a folder above the root: say how to make that folder the root."""
    relative = Path(*dotted.split(".")).with_suffix(RULE_SUFFIX)
    for folder in root.parents:
        if (folder / relative).is_file():
            where = _shown_folder(folder)
            named = "the current folder" if where == "." else f"`{where}`"
            return (
                f"`{relative.as_posix()}` is in {named}: to resolve imports from there, put an empty file "
                f"named `{ROOT_MARKER}` in {named} (or check {named} as a whole)"
            )
    return None
