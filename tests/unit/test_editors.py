"""Editor support in editors/: the TextMate grammar stays in step with the language's grammar, and the VS Code
extension's manifest points at files that exist and starts a command that exists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.grammar import keywords

REPO = Path(__file__).resolve().parents[2]
TEXTMATE = REPO / "editors" / "textmate" / "framework-dsl.tmLanguage.json"
VSCODE = REPO / "editors" / "vscode"


def _grammar() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TEXTMATE.read_text(encoding="utf-8"))
    return data


def _regexes(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node[key] for key in ("match", "begin", "end") if isinstance(node.get(key), str)]
        for value in node.values():
            found.extend(_regexes(value))
        return found
    if isinstance(node, list):
        return [r for item in node for r in _regexes(item)]
    return []


def test_the_textmate_grammar_is_json_for_rule_files() -> None:
    """The grammar parses as JSON, names its scope and claims .fw files, and every rule it includes exists."""
    grammar = _grammar()
    assert grammar["scopeName"] == "source.framework-dsl"
    assert grammar["fileTypes"] == ["fw"]
    included = {p["include"].removeprefix("#") for p in grammar["patterns"]}
    assert included <= set(grammar["repository"])


def test_the_textmate_keywords_are_the_grammars_keywords() -> None:
    """The words highlighted as keywords are exactly the words grammar/framework.lark spells out, each once."""
    words: list[str] = []
    for pattern in _grammar()["repository"]["keywords"]["patterns"]:
        found = re.fullmatch(r"\\b\(\?:([a-z|]+)\)\\b", pattern["match"])
        assert found is not None, pattern["match"]
        words.extend(found.group(1).split("|"))
    assert sorted(words) == sorted(set(words))
    assert sorted(words) == list(keywords())


def test_every_textmate_pattern_is_a_regular_expression() -> None:
    """Each match, begin and end pattern compiles (TextMate's Oniguruma reads these simple ones as Python does)."""
    patterns = _regexes(_grammar())
    assert len(patterns) > 10
    for pattern in patterns:
        re.compile(pattern)
    keyword = re.compile("|".join(p["match"] for p in _grammar()["repository"]["keywords"]["patterns"]))
    assert keyword.search("judgement overall: rating") is not None
    assert keyword.search("overall_when") is None


def test_the_vscode_extension_ships_the_same_grammar_and_starts_the_server() -> None:
    """The extension's copy of the grammar is the TextMate grammar, its manifest's files exist, and the command
    it runs by default is `framework-dsl lsp`."""
    assert (VSCODE / "syntaxes" / TEXTMATE.name).read_bytes() == TEXTMATE.read_bytes()
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    [language] = manifest["contributes"]["languages"]
    assert language["extensions"] == [".fw"]
    json.loads((VSCODE / language["configuration"]).read_text(encoding="utf-8"))
    [grammar] = manifest["contributes"]["grammars"]
    assert grammar["language"] == language["id"]
    assert (VSCODE / grammar["path"]).is_file()
    assert grammar["scopeName"] == _grammar()["scopeName"]
    assert (VSCODE / manifest["main"]).is_file()
    settings = manifest["contributes"]["configuration"]["properties"]
    assert settings["frameworkDsl.server.command"]["default"] == "framework-dsl"
    [command] = settings["frameworkDsl.server.args"]["default"]
    assert command in framework_dsl.commands
