"""The language server for rule files (`framework-dsl lsp`): diagnostics, hover, go to definition,
completion, formatting and examples in the editor.

`analysis` checks one file as the editor holds it, `features` turns that into the
protocol's answers, `positions` converts between character offsets and the protocol's
lines and UTF-16 columns, and `server` wires them to pygls. It needs the optional
`pygls` dependency: `pip install 'framework-dsl[lsp]'`.
"""
