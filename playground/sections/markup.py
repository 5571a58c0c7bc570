"""User text shown in Markdown: escaped so it reads as the characters it is, never as markup."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def escape_markdown(text: str) -> str:
    """`text` with every character Streamlit's Markdown (and its LaTeX and HTML) would interpret escaped."""
    return _SPECIAL.sub(r"\\\1", str(text))
