"""Field evidence on the pages of others: the indicator page and the proposal page show how the
programmes answered (web/panels.py), read as the API reads it."""

from __future__ import annotations

from litestar import Request

from programmes.field import ALL, FieldFigures, field_figures
from programmes.levels import LEVEL_NAMES, LEVELS
from programmes.routes.shares_panel import SHARES_PANEL
from programmes.topics import field_topic
from web.panels import INDICATOR, PARTICIPATION, PROPOSAL, Panel
from web.rendering import templates_of


async def cached_field_figures(
    request: Request, slug: str, release_id: int, code: str, kind: str = ALL
) -> FieldFigures:
    """Counted at each submission; between two, every worker reads them once."""
    minimum = request.app.state.settings.aggregate_min
    return await request.app.state.reads.get(
        ("field", release_id, code, kind, minimum),
        lambda: field_figures(release_id, code, kind, minimum),
        topics=(field_topic(slug),),
    )


async def field_panel(
    request: Request, *, framework: str, version: str, code: str | None, language: str, reviewer: bool
) -> str:
    """The distribution of levels on the release; the reasons given for 'not applicable' only to
    working-group members (`reviewer`), who revise the indicators."""
    if code is None:
        return ""
    _framework, summary, _current = await request.app.state.releases.resolve(framework, version)
    figures = await cached_field_figures(request, framework, summary.id, code)
    return templates_of(request).render(
        "programmes/_field.html",
        language,
        figures=figures,
        reviewer=reviewer,
        version=summary.version,
        minimum=request.app.state.settings.aggregate_min,
        levels=LEVELS,
        level_names=LEVEL_NAMES,
    )


def _topics(*, framework: str, **_about: object) -> tuple[str, ...]:
    return (field_topic(framework),)


FIELD_PANEL = Panel(render=field_panel, topics=_topics)
PANELS = {
    INDICATOR: (FIELD_PANEL,),
    PROPOSAL: (FIELD_PANEL,),
    # Where programmes are, beside who took part (proposal pages and the release cycle's dashboard).
    PARTICIPATION: (SHARES_PANEL,),
}
