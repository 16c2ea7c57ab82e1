"""Reports for people: plain text, and HTML and Markdown built from templates.

The pipeline of a report: a `Result` and its framework's `FrameworkGuide` (guide.py:
titles, scales, headline) become a `DocumentView` (view.py), which the templates in
`templates/` lay out (markup.py sets up Jinja2 and the escaping); `ReportWriter`
(batch.py) streams many of them into one report in constant memory. Text output
(text.py) is built directly, one block per document, and terminal.py keeps control
characters from evidence out of both. JSON is not here: it is `Result.to_json()`.

This package imports nothing itself, so that text output does not load the template
engine: import from its modules. It holds only the names of the formats the templates
write, which the command line checks before deciding to load them.
"""

REPORT_FORMATS = ("html", "markdown")
