"""A real editor's side of the conversation: `framework-dsl lsp` started as a process, spoken to over stdio."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

REPO = Path(__file__).resolve().parents[2]

# The console script may not be on PATH (a venv not activated): start the same entry point.
SERVER = [sys.executable, "-c", "from framework_dsl.cli.dsl import main_dsl; main_dsl()", "lsp"]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    """A client that has initialised a session with the server, and shuts it down afterwards."""
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=REPO.as_uri())
    )
    yield lsp_client
    await lsp_client.shutdown_session()
