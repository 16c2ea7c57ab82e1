"""`framework-dsl lsp` as a command: without its optional library it says what to install, not a traceback."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from framework_dsl.cli.dsl import framework_dsl


def test_without_pygls_the_command_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """With pygls missing, `framework-dsl lsp` exits 2 and names the extra to install."""
    monkeypatch.setitem(sys.modules, "pygls", None)  # what `import pygls` sees when it is not installed
    monkeypatch.setitem(sys.modules, "pygls.lsp.server", None)
    monkeypatch.delitem(sys.modules, "framework_dsl.lsp.server", raising=False)
    result = CliRunner().invoke(framework_dsl, ["lsp"])
    assert result.exit_code == 2
    assert "pip install 'framework-dsl[lsp]'" in result.output
    assert "Traceback" not in result.output
