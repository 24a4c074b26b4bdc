"""Parts that a higher domain adds to a lower domain's pages.

A page may not import the domains above it (programmes sit above proposals and indicators), yet the
indicator and proposal pages show programmes' field evidence. So the composition root registers, for
each place of a page ("indicator", "proposal"), the panels a higher domain offers; the page asks for
the panels of its place and shows their HTML, and lists their topics among its own (a cached page is
made again when a panel's content changes).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from litestar import Request
from markupsafe import Markup

INDICATOR = "indicator"  # about: framework (slug), version, code, language, reviewer
PROPOSAL = "proposal"  # the same, about the indicator a proposal changes (at its base release)
PARTICIPATION = "participation"  # beside who took part, by territory; about: framework (slug), language
RELEASE = "release"  # how the release was decided; about: framework (slug), version, language


@dataclass(frozen=True)
class Panel:
    """`render(request, **about)` makes its HTML; `topics(**about)` names what it is made from."""

    render: Callable[..., Awaitable[str]]
    topics: Callable[..., tuple[str, ...]]


Panels = Mapping[str, tuple[Panel, ...]]


def panels_of(request: Request, place: str) -> tuple[Panel, ...]:
    return request.app.state.panels.get(place, ())


def panel_topics(request: Request, place: str, **about: object) -> tuple[str, ...]:
    return tuple(topic for panel in panels_of(request, place) for topic in panel.topics(**about))


async def render_panels(request: Request, place: str, **about: object) -> Markup:
    """The panels' HTML, one after the other (each panel escapes what it shows)."""
    parts = [await panel.render(request, **about) for panel in panels_of(request, place)]
    return Markup("".join(parts))  # nosec B704: each part is a rendered, autoescaped template
