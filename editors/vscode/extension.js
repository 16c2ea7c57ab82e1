// Starts `framework-dsl lsp` for .fw files: the language server does all the work.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const settings = vscode.workspace.getConfiguration("frameworkDsl");
  const command = settings.get("server.command", "framework-dsl");
  const args = settings.get("server.args", ["lsp"]);
  const serverOptions = { command, args, transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "framework-dsl" }],
  };
  client = new LanguageClient("framework-dsl", "framework-dsl", serverOptions, clientOptions);
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
