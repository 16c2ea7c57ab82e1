"""The language server end to end: an LSP client opens, edits and saves rule files over stdio and asks
for hover, definition, completion and formatting, as an editor does."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

REPO = Path(__file__).resolve().parents[2]
CQC = REPO / "rules" / "cqc" / "cqc.fw"
SCALES = REPO / "rules" / "shared" / "scales.fw"
OTHER_FRAMEWORKS = ("clas", "ilacs", "jtai", "ncpi", "peel", "saas", "saf")
# Far beyond any real answer on a loaded machine: only a server that never answers reaches it.
STUCK = 120


async def open_and_wait(client: LanguageClient, path: Path, text: str, version: int = 1) -> Sequence[types.Diagnostic]:
    """Open `path` with `text` (not saved) and return the diagnostics the server publishes for it."""
    uri = path.resolve().as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="framework-dsl", version=version, text=text)
        )
    )
    return await diagnostics_for(client, uri)


async def diagnostics_for(client: LanguageClient, uri: str) -> Sequence[types.Diagnostic]:
    """Wait for the next diagnostics the server publishes for `uri`."""
    client.diagnostics.pop(uri, None)
    while uri not in client.diagnostics:
        await wait(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


async def wait(client: LanguageClient, method: str) -> None:
    """Wait for the next notification `method`; a server that never sends it fails the test, not hangs it."""
    await asyncio.wait_for(client.wait_for_notification(method), timeout=STUCK)


def position(text: str, needle: str, skip: int = 0) -> types.Position:
    """The LSP position of the `skip`th character of the first `needle` in `text`."""
    return position_at(text, text.index(needle) + skip)


def position_at(text: str, offset: int) -> types.Position:
    """The LSP position of character `offset` in `text` (ASCII text: one UTF-16 unit a character)."""
    line = text.count("\n", 0, offset)
    return types.Position(line=line, character=offset - (text.rfind("\n", 0, offset) + 1))


@pytest.mark.asyncio
async def test_a_bundled_rule_file_opens_without_diagnostics(client: LanguageClient) -> None:
    """The bundled CQC rules, with the shared scales they import from the rules root, have no problem."""
    assert await open_and_wait(client, CQC, CQC.read_text(encoding="utf-8")) == []


@pytest.mark.asyncio
async def test_a_misspelt_grade_is_reported_at_its_line_and_column_with_the_hint(client: LanguageClient) -> None:
    """An unsaved buffer whose clause gives `requires_improvment` gets the checker's diagnostic, at the word,
    with its code and its did-you-mean hint."""
    text = CQC.read_text(encoding="utf-8")
    clause = "  requires_improvement when"
    assert clause in text
    broken = text.replace(clause, "  requires_improvment when", 1)
    found = await open_and_wait(client, CQC, broken)
    assert len(found) == 1, found
    [diagnostic] = found
    where = position(broken, "  requires_improvment when", 2)
    assert diagnostic.range.start == where
    assert diagnostic.range.end == types.Position(
        line=where.line, character=where.character + len("requires_improvment")
    )
    assert diagnostic.code == "outcomes.unknown"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.source == "framework-dsl"
    assert "unknown outcome `requires_improvment`" in diagnostic.message
    assert "hint: did you mean `requires_improvement`?" in diagnostic.message


@pytest.mark.asyncio
async def test_diagnostics_follow_the_edits(client: LanguageClient) -> None:
    """Fixing the misspelling in an edit clears the diagnostic: the server checks the buffer, not the disk."""
    text = CQC.read_text(encoding="utf-8")
    broken = text.replace("  requires_improvement when", "  requires_improvment when", 1)
    uri = CQC.as_uri()
    assert len(await open_and_wait(client, CQC, broken)) == 1
    where = position(broken, "requires_improvment when")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=where.line, character=where.character + len("requires_improv")),
                        end=types.Position(line=where.line, character=where.character + len("requires_improv")),
                    ),
                    text="e",
                )
            ],
        )
    )
    assert await diagnostics_for(client, uri) == []


@pytest.mark.asyncio
async def test_hover_tells_a_grades_label_a_fields_description_and_a_judgements_type(client: LanguageClient) -> None:
    """Hover on a grade in a clause, an evidence field and a judgement's name answers in the language's words."""
    text = CQC.read_text(encoding="utf-8")
    await open_and_wait(client, CQC, text)
    uri = CQC.as_uri()

    async def hover_at(needle: str, skip: int = 0) -> str:
        answer = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, needle, skip)
            )
        )
        assert answer is not None, needle
        assert isinstance(answer.contents, types.MarkupContent)
        return answer.contents.value

    grade = await hover_at("count of limited rated outstanding", len("count of limited rated "))
    assert "grade outstanding of scale rating" in grade
    assert "Outstanding" in grade.split("```")[-1]
    field = await hover_at("  breaches: list of breach", 2)
    assert "evidence field breaches: list of breach" in field
    assert "Breaches of regulations 9 to 20A found" in field
    judgement_name = text[text.index("judgement ") + len("judgement ") :].split(":")[0].split()[0]
    judgement = await hover_at(f"judgement {judgement_name}", len("judgement "))
    assert f"judgement {judgement_name}" in judgement
    module = await hover_at("from shared.scales", len("from shared."))
    assert "module shared.scales" in module
    assert "reads rules/shared/scales.fw" in module


@pytest.mark.asyncio
async def test_definition_goes_across_an_import_to_the_declaration(client: LanguageClient) -> None:
    """Go to definition on `rating` (imported from shared.scales) lands on its `scale` line in scales.fw; on a
    definition's use, on its `define`."""
    text = CQC.read_text(encoding="utf-8")
    await open_and_wait(client, CQC, text)
    uri = CQC.as_uri()
    answer = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position(text, "define limited: list of rating", 24),
        )
    )
    assert isinstance(answer, types.Location)
    assert answer.uri == SCALES.as_uri()
    scales = SCALES.read_text(encoding="utf-8")
    assert answer.range.start == position(scales, 'scale rating "', len("scale "))
    assert answer.range.end.character - answer.range.start.character == len("rating")

    answer = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position(text, "define n_rated: integer = n_outstanding", len("define n_rated: integer = ")),
        )
    )
    assert isinstance(answer, types.Location)
    assert answer.uri == uri
    assert answer.range.start == position(text, "define n_outstanding", len("define "))


@pytest.mark.asyncio
async def test_completion_offers_grades_members_fields_and_keywords(client: LanguageClient) -> None:
    """Anywhere: grades, names in scope and keywords; after `key_question.`: its members; after a half-written
    `inspection.` (the buffer no longer parses): the record's fields."""
    text = CQC.read_text(encoding="utf-8")
    await open_and_wait(client, CQC, text)
    uri = CQC.as_uri()

    async def labels(at: types.Position) -> dict[str, types.CompletionItemKind | None]:
        answer = await client.text_document_completion_async(
            types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=at)
        )
        assert isinstance(answer, types.CompletionList)
        return {item.label: item.kind for item in answer.items}

    anywhere = await labels(position(text, "define n_rated", len("define n_rated: integer = ")))
    assert anywhere["requires_improvement"] == types.CompletionItemKind.EnumMember
    assert anywhere["judgement"] == types.CompletionItemKind.Keyword
    assert anywhere["breaches"] == types.CompletionItemKind.Field
    assert anywhere["rating"] == types.CompletionItemKind.Enum
    members = await labels(position(text, "[key_question.safe for", len("[key_question.")))
    assert set(members) == {"safe", "effective", "caring", "responsive", "well_led"}
    modules = await labels(position(text, "from shared.scales", len("from shared.")))
    assert set(modules) == {"shared.scales", "shared.cqc_standards", *(f"{m}.{m}" for m in OTHER_FRAMEWORKS)}
    expected = await labels(position(text, "  expect ", len("  expect ")))
    assert "status" in expected and "special_measures" in expected
    assert all(
        kind in (types.CompletionItemKind.Function, types.CompletionItemKind.Keyword) for kind in expected.values()
    )

    line_end = text.index("\n", text.index("define n_rated"))
    typed = text[:line_end] + " + inspection." + text[line_end:]
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=typed)],
        )
    )
    broken = await diagnostics_for(client, uri)
    assert len(broken) == 1 and str(broken[0].code).startswith("syntax."), broken
    fields = await labels(position(typed, " + inspection.", len(" + inspection.")))
    assert set(fields) == {"date", "type"}


@pytest.mark.asyncio
async def test_formatting_gives_the_formatters_text_and_refuses_a_syntax_error(client: LanguageClient) -> None:
    """A badly laid out copy of a bundled file formats back to the file as shipped; a file that does not parse
    gets no edit and a message saying why."""
    text = SCALES.read_text(encoding="utf-8")
    messy = text.replace("  > good", "      >     good").replace(
        'scale rating "Four-point rating":', 'scale  rating  "Four-point rating" :'
    )
    assert messy != text
    await open_and_wait(client, SCALES, messy)
    uri = SCALES.as_uri()
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(text_document=types.TextDocumentIdentifier(uri=uri), options=options)
    )
    assert edits is not None and len(edits) == 1
    assert edits[0].new_text == text
    assert edits[0].range.start == types.Position(line=0, character=0)

    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text + "\nscale :\n")],
        )
    )
    await diagnostics_for(client, uri)
    client.messages.clear()
    refused = await client.text_document_formatting_async(
        types.DocumentFormattingParams(text_document=types.TextDocumentIdentifier(uri=uri), options=options)
    )
    assert refused is None
    while not client.messages:  # the message is sent before the answer, but may be read after it
        await wait(client, types.WINDOW_SHOW_MESSAGE)
    [message] = client.messages
    assert message.type == types.MessageType.Warning
    assert "syntax error at line" in message.message


@pytest.mark.asyncio
async def test_examples_fail_on_save_at_the_expectation(client: LanguageClient, tmp_path: Path) -> None:
    """Saving a framework file whose example expects the wrong outcome shows that expectation's failure, with
    expected and actual; the examples that hold show as passed."""
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    target = tmp_path / "rules" / "clas" / "clas.fw"
    text = target.read_text(encoding="utf-8")
    expectation = "  expect coverage = incomplete"
    assert expectation in text
    wrong = text.replace(expectation, "  expect coverage = complete", 1)
    target.write_text(wrong, encoding="utf-8")
    uri = target.as_uri()
    assert await open_and_wait(client, target, wrong) == []
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    found = await diagnostics_for(client, uri)
    failed = [d for d in found if d.code == "editor.example-failed"]
    passed = [d for d in found if d.code == "editor.example-passed"]
    assert len(failed) == 1, found
    assert failed[0].range.start == position_at(wrong, text.index(expectation) + 2)
    assert "expected coverage = complete" in failed[0].message
    assert "actual:   incomplete" in failed[0].message
    assert passed and all(d.severity == types.DiagnosticSeverity.Hint for d in passed)


@pytest.mark.asyncio
async def test_an_open_imported_module_is_read_from_its_buffer(client: LanguageClient) -> None:
    """With scales.fw open and its `rating` scale renamed (unsaved), cqc.fw, which imports `rating` from it,
    reports that the module has no `rating` and, at the import, that the module has errors of its own."""
    scales = SCALES.read_text(encoding="utf-8")
    renamed = scales.replace('scale rating "Four-point rating"', 'scale ratin "Four-point rating"')
    renamed += "\nscale twice: high > high\n"  # an error of the module's own
    assert renamed != scales
    await open_and_wait(client, SCALES, renamed)
    text = CQC.read_text(encoding="utf-8")
    found = await open_and_wait(client, CQC, text)
    unknown = [d for d in found if d.code == "names.unknown" and "has no `rating`" in d.message]
    assert unknown, found
    assert unknown[0].range.start == position(text, "import rating,", len("import "))
    assert "did you mean `ratin`?" in unknown[0].message
    [summary] = [d for d in found if d.code == "editor.imported-errors"]
    assert summary.range.start == position(text, "from shared.scales", len("from "))
    assert "the module `shared.scales` has 1 error" in summary.message
    assert summary.related_information is not None
    assert summary.related_information[0].location.uri == SCALES.as_uri()
