"""The language server: `framework-dsl lsp` speaks the Language Server Protocol over stdio (pygls).

An open rule file is checked when it opens, a moment after each edit (edits typed in
quick succession are checked once), and when it is saved; the examples of the
framework it declares run on save, and their outcomes join its diagnostics until the
next save. Every open document is checked as the editor holds it, saved or not, and
so is every open file it imports.
"""

from __future__ import annotations

import asyncio
import traceback
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from framework_dsl import __version__
from framework_dsl.loader import RULE_SUFFIX
from framework_dsl.lsp import features
from framework_dsl.lsp.analysis import Analysis, analyse

# How long an edit waits for the next one before the file is checked (seconds).
CHECK_DELAY = 0.25


class RulesLanguageServer(LanguageServer):
    """The server, and what it knows of each open document."""

    def __init__(self) -> None:
        super().__init__("framework-dsl", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.analyses: dict[str, Analysis] = {}  # uri -> the latest check
        self.parsed: dict[str, Analysis] = {}  # uri -> the latest check in which the file parsed
        self.examples: dict[str, list[types.Diagnostic]] = {}  # uri -> example outcomes from the last save

    def path_of(self, uri: str) -> Path | None:
        """The rule file behind a document, or None for one that is not a `.fw` file on disk."""
        path = to_fs_path(uri)
        if path is None or not path.endswith(RULE_SUFFIX):
            return None
        return Path(path).resolve()

    def overrides(self) -> dict[Path, str]:
        """The editor's text of every open rule file, by resolved path."""
        found: dict[Path, str] = {}
        for uri, document in self.workspace.text_documents.items():
            path = self.path_of(uri)
            if path is not None:
                found[path] = document.source
        return found

    def check(self, uri: str, *, run_examples: bool = False) -> Analysis | None:
        """Check one open document and publish its diagnostics."""
        path = self.path_of(uri)
        if path is None:
            return None
        document = self.workspace.get_text_document(uri)
        try:
            analysis = analyse(path, self.overrides())
            if analysis.file is not None:
                self.parsed[uri] = analysis
            self.analyses[uri] = analysis
            found = features.check_diagnostics(analysis)
            if run_examples:
                self.examples[uri] = features.example_diagnostics(analysis)
            found.extend(self.examples.get(uri, []))
        except Exception:  # never let one file take the server down: say so, and carry on
            self.window_log_message(
                types.LogMessageParams(
                    type=types.MessageType.Error,
                    message=f"framework-dsl: internal error checking {path.name}, please report:\n"
                    + traceback.format_exc(),
                )
            )
            return None
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=document.version)
        )
        return analysis

    def analysis(self, uri: str) -> Analysis | None:
        """The latest check of a document, checking it now if it has none yet."""
        return self.analyses.get(uri) or self.check(uri)

    def indexed(self, uri: str) -> Analysis | None:
        """The latest check in which the document parsed (names are read from it while the text is broken)."""
        latest = self.analysis(uri)
        if latest is not None and latest.file is not None:
            return latest
        return self.parsed.get(uri, latest)


def create_server() -> RulesLanguageServer:
    """A language server for rule files, with every feature registered; `start_io()` runs it."""
    server = RulesLanguageServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RulesLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.check(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: RulesLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        uri, version = params.text_document.uri, params.text_document.version
        await asyncio.sleep(CHECK_DELAY)
        if ls.workspace.get_text_document(uri).version == version:  # no newer edit came meanwhile
            ls.check(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: RulesLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.check(params.text_document.uri, run_examples=True)
        for other in list(ls.analyses):  # files that import the saved one see its new text
            if other != params.text_document.uri and other in ls.workspace.text_documents:
                ls.check(other)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RulesLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        for table in (ls.analyses, ls.parsed, ls.examples):
            table.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: RulesLanguageServer, params: types.HoverParams) -> types.Hover | None:
        analysis = ls.indexed(params.text_document.uri)
        return features.hover(analysis, params.position) if analysis is not None else None

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: RulesLanguageServer, params: types.DefinitionParams) -> types.Location | None:
        analysis = ls.indexed(params.text_document.uri)
        return features.definition(analysis, params.position) if analysis is not None else None

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."]))
    def completion(ls: RulesLanguageServer, params: types.CompletionParams) -> types.CompletionList | None:
        uri = params.text_document.uri
        analysis = ls.indexed(uri)
        if analysis is None:
            return None
        text = ls.workspace.get_text_document(uri).source
        return features.completion(analysis, text, params.position)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: RulesLanguageServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
        uri = params.text_document.uri
        path = ls.path_of(uri)
        if path is None:
            return None
        edits, refusal = features.formatting(ls.workspace.get_text_document(uri).source, path)
        if refusal is not None:
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=refusal))
        return edits

    return server


def serve_stdio() -> None:
    """Run the language server on standard input and output until the editor says exit."""
    create_server().start_io()
