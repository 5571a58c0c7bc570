"""User text is data: how text from a link, a run file or a CSV file may appear wherever it goes.

Names (a CSV's column names, the target and feature settings) follow one policy, `clean_name`: one
line of printable characters, at most MAX_NAME_CHARS long. Each place that shows text has one
function that makes any text appear literally there, never as markup, a formula or a template:

- Streamlit Markdown (markdown, captions, alerts, toasts): `markdown_literal`;
- Plotly text (titles, axis titles, legend names, category labels, hover templates): `plotly_literal`;
- spreadsheet cells (CSV downloads): `spreadsheet_cell`;
- quotes inside messages: `quoted`, `quoted_list`.

HTML uses the standard library's `html.escape`, and the exported Python script writes text only inside
its data literal (`export.python_literal`). Pure Python: no Streamlit, no Plotly.
"""

from __future__ import annotations

import re

MAX_NAME_CHARS = 200  # a column, target or feature name
SHOWN_CHARS = 40  # a value quoted in a message

_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)  # where GFM starts a bare link
WORD_JOINER = "\u2060"
_PLOTLY_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "%": "&#37;", "$": "&#36;"}
_PLOTLY_SPECIAL = re.compile("[&<>%$]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def one_line(text: str) -> str:
    """The text with every kind of whitespace (tab, line break, form feed, Unicode line separator, no-break
    space) as a plain space, and invisible characters (control, format, private-use, unassigned) removed."""
    return "".join(" " if char.isspace() else char for char in str(text) if char.isprintable() or char.isspace())


def clean_name(text: str, limit: int = MAX_NAME_CHARS) -> tuple[str, list[str]]:
    """(name, changes): the text as one stripped line of printable characters, at most `limit` long, and
    what had to change, in words (empty when nothing did)."""
    text = str(text)
    spaced = "".join(" " if char.isspace() and char != " " else char for char in text)
    kept = one_line(spaced)
    name = kept.strip()[:limit]
    changes = []
    if spaced != text:
        changes.append("tabs, line breaks and other spacing became plain spaces")
    if len(kept) < len(spaced):
        changes.append(f"{len(spaced) - len(kept)} invisible or control character(s) removed")
    if len(kept.strip()) > limit:
        changes.append(f"cut to {limit} characters")
    return name, changes


def quoted(text, limit: int = SHOWN_CHARS) -> str:
    """Text quoted for a message, on one line, shortened with … if long."""
    line = one_line(str(text))
    return f"'{line}'" if len(line) <= limit else f"'{line[:limit]}…'"


def quoted_list(names, at_most: int = 8) -> str:
    """Names quoted for a message: the first `at_most`, then how many more."""
    names = list(names)
    more = f" and {len(names) - at_most} more" if len(names) > at_most else ""
    return ", ".join(quoted(name) for name in names[:at_most]) + more


def markdown_literal(text) -> str:
    """Text that Streamlit's Markdown shows as it is: one line, every ASCII punctuation backslash-escaped,
    so no link, image, emphasis, heading, list, HTML, LaTeX ($), colour or icon directive (:…:) forms; and
    an invisible word joiner in "://", "www." and before "@", which GitHub-flavoured Markdown would
    otherwise turn into links even when escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, one_line(str(text))))


def plotly_literal(text) -> str:
    """Text that Plotly shows as it is: one line, and &, <, >, % and $ as HTML entities, so no tag (<a>,
    <b>, <br>, <span style>), hover-template field (%{…}) or LaTeX ($…$) forms; Plotly decodes the
    entities when it draws."""
    return _PLOTLY_SPECIAL.sub(lambda match: _PLOTLY_ENTITIES[match.group()], one_line(str(text)))


def spreadsheet_cell(value):
    """A CSV cell a spreadsheet will not run: text starting with =, +, -, @, tab or carriage return that is
    not a number gets a leading ' (OWASP's advice against CSV injection). Numbers and other values pass."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value
