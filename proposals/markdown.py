"""Markdown of proposal rationales and comments, rendered once when saved.

The "js-default" preset escapes raw HTML and refuses javascript:, vbscript: and data: links
(stack notes, trap 1); the lengths are capped before rendering (trap 2).
"""

from __future__ import annotations

from markdown_it import MarkdownIt

_RENDERER = MarkdownIt("js-default")


def render_markdown(text: str) -> str:
    """Safe HTML for `text`: store it beside the text and mark only it safe in templates."""
    return _RENDERER.render(text)
