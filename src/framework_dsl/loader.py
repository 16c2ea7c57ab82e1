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

For editors, `load_module` loads one file and what it imports, reading the text of
files open in the editor from `overrides` rather than from disk, and
`find_import_root` finds the folder that a file's imports are written against.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
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
    # display path (as diagnostics show it) -> the file read, for every file read,
    # whether it parsed or not: how an editor finds the file a diagnostic is in.
    paths: Mapping[str, Path] = attrs.field(factory=dict)


def load_files(paths: Sequence[Path], *, overrides: Mapping[Path, str] | None = None) -> LoadedRules:
    """Load rule files from files or folders; each folder is a rules root.

    `overrides` maps a file's resolved path to text to read instead of the file's bytes
    (an editor's unsaved buffer).
    """
    loader = _Loader(overrides)
    for path in paths:
        loader.load_root(Path(path))
    return _finish(loader)


def load_module(file: Path, root: Path, *, overrides: Mapping[Path, str] | None = None) -> LoadedRules:
    """Load one rule file under `root` and every file it imports, and nothing else.

    An editor checks the file being edited this way: imports resolve against `root`
    (see `find_rules_root`), and the text of open files comes from `overrides`
    (resolved path -> text), so unsaved edits are what is checked.
    """
    loader = _Loader(overrides)
    resolved_root = root.resolve()
    loader.load_file(file.resolve(), resolved_root, not root.is_absolute())
    return _finish(loader)


def find_import_root(file: Path, imports: Sequence[str], *, overrides: Mapping[Path, str] | None = None) -> Path:
    """The folder a rule file's imports are written against, for an editor.

    The rules root the command line would use when a `rules-root` marker is at or above
    the file (`resources.find_rules_root`). Without one: `import shared.scales` in
    `rules/cqc/cqc.fw` reads `rules/shared/scales.fw`, so the root is the nearest folder
    above the file under which the most of `imports` (dotted module names) exist, on
    disk or in `overrides`; the file's own folder when it imports nothing, or nothing it
    imports exists anywhere above it.
    """
    marked = find_rules_root(file)
    if (marked / ROOT_MARKER).is_file():
        return marked
    folder = file.resolve().parent
    pending = {path.resolve() for path in (overrides or {})}
    best, best_found = folder, 0
    for candidate in (folder, *folder.parents):
        found = 0
        for dotted in imports:
            target = candidate.joinpath(*dotted.split(".")).with_suffix(RULE_SUFFIX)
            if target in pending or target.is_file():
                found += 1
        if found > best_found:
            best, best_found = candidate, found
        if imports and found == len(imports):
            break
    return best


def imported_modules(tree: nodes.RuleFile) -> list[str]:
    """The dotted module names a parsed file imports, in order."""
    return [
        ".".join(part.text for part in item.path)
        for item in tree.items
        if isinstance(item, nodes.ImportModule | nodes.ImportNames)
    ]


def _finish(loader: _Loader) -> LoadedRules:
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
        paths=dict(loader.paths),
    )


def module_name(path: Path, root: Path) -> str:
    """`shared/scales.fw` under `root` -> `shared.scales`."""
    relative = path.relative_to(root).with_suffix("")
    return ".".join(relative.parts)


class _Loader:
    def __init__(self, overrides: Mapping[Path, str] | None = None) -> None:
        self.files: dict[tuple[str, str], LoadedFile] = {}
        self.diagnostics: list[Diagnostic] = []
        self.paths: dict[str, Path] = {}
        self.overrides = {path.resolve(): text for path, text in (overrides or {}).items()}

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
            # The root is the folder the file is named in, not its target's: a link to a
            # file elsewhere must not make that folder the root (imports would read it).
            root = find_rules_root(path.absolute().parent)
            if not _inside(path, path.absolute().parent.resolve()):
                self.diagnostics.append(
                    Diagnostic(
                        code="modules.outside-root",
                        message=f"`{path}` is a link to a file outside its folder `{path.parent}`",
                        document=str(path),
                        hint="give the file itself, or the folder that holds it, instead of a link to it",
                    )
                )
                return
            if not path.is_file():
                self.diagnostics.append(
                    Diagnostic(
                        code="modules.unreadable",
                        message=f"`{path}` is not a regular file",
                        document=str(path),
                        hint="a rule file is a .fw text file; this path is a pipe, a device or something else",
                    )
                )
                return
            self.load_file(path.resolve(), root, relative)

    def load_file(self, file: Path, root: Path, relative: bool) -> LoadedFile | None:
        module = module_name(file, root)
        key = (str(root), module)
        if key in self.files:
            return self.files[key]
        display = _display_path(file, root, relative)
        self.paths[display] = file
        try:
            override = self.overrides.get(file)
            text = override if override is not None else file.read_bytes().decode("utf-8")
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
        if not target.exists() and target.resolve() not in self.overrides:
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
        if not target.is_file() and target.resolve() not in self.overrides:
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
    except (ValueError, OSError, RuntimeError):  # outside, or a loop of links
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
