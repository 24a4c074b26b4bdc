"""Markdown written by people (indicator texts, proposal rationales, comments), rendered safely.

The "js-default" preset escapes raw HTML and refuses javascript:, vbscript: and data: links
(stack notes, trap 1); the lengths are capped before rendering (trap 2). markdown-it-py is pure
Python: a capped but pathological text ("[" * 50_000) still takes seconds, so it is rendered in a
worker thread (rationales and comments once, when saved) and the event loop keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio

from markdown_it import MarkdownIt

_RENDERER = MarkdownIt("js-default")


def render_markdown(text: str) -> str:
    """Safe HTML for `text`: store it beside the text and mark only it safe in templates."""
    return _RENDERER.render(text)


async def render_markdown_off_loop(text: str) -> str:
    """render_markdown in a worker thread: call it before opening a transaction, never inside one."""
    return await asyncio.to_thread(render_markdown, text)
