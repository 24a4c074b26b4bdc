"""Markdown written by people (indicator texts, proposal rationales, comments), rendered safely.

The "js-default" preset escapes raw HTML and refuses javascript:, vbscript: and data: links
(stack notes, trap 1); the lengths are capped before rendering (trap 2). markdown-it-py is pure
Python: a capped but pathological text ("[" * 50_000) still takes seconds, so it is rendered in a
worker thread (rationales and comments once, when saved) and the event loop keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio

from markdown_it import MarkdownIt

from web.failures import InvalidInput
from web.messages import Term

_RENDERER = MarkdownIt("js-default")
# markdown-it-py's cost grows with the number of "[" (each may open a link or an image, whose end is
# looked for ahead): about 0.25 ms each here, whatever the text's length. Capped, a text of the
# largest size renders within about 100 ms however it is made; without a cap, 10,000 of them take
# a second.
BRACKETS_MAX = 400


def refuse_costly_markdown(text: str, what: Term, field: str | None) -> None:
    """InvalidInput, before anything is stored, for Markdown whose rendering would be too costly."""
    brackets = text.count("[")
    if brackets > BRACKETS_MAX:
        raise InvalidInput(
            "The %(what)s has %(count)s [ characters: at most %(maximum)s are allowed, "
            "since each may start a link. Remove some.",
            field,
            what=what,
            count=brackets,
            maximum=BRACKETS_MAX,
        )


def render_markdown(text: str) -> str:
    """Safe HTML for `text`: store it beside the text and mark only it safe in templates."""
    return _RENDERER.render(text)


async def render_markdown_off_loop(text: str) -> str:
    """render_markdown in a worker thread: call it before opening a transaction, never inside one."""
    return await asyncio.to_thread(render_markdown, text)
