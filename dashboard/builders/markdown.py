"""User-supplied text placed into Streamlit Markdown (messages, captions, expander labels).

Streamlit renders Markdown, including links, images and its own ``:color[...]`` directives:
a watch or file name must read as the text it is, never as markup of its author's.
"""

from __future__ import annotations

#: Characters that start Markdown or Streamlit markup.
_MARKUP = "\\`*_[]<>#|~$"


def escape_markdown(text: str) -> str:
    """``text`` with every markup character backslash-escaped, so it renders as typed."""
    escaped = str(text)
    for char in _MARKUP:
        escaped = escaped.replace(char, "\\" + char)
    return escaped
