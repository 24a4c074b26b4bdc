"""On a release's page, the Delphi processes it published the outcome of, with their report
(web/panels.py): the report is published with the release it led to."""

from __future__ import annotations

from litestar import Request

from proposals.delphi_reading import processes_of_release
from web.panels import RELEASE, Panel
from web.rendering import templates_of


async def delphi_release_panel(request: Request, *, framework: str, version: str, language: str) -> str:
    processes = await processes_of_release(framework, version)
    if not processes:
        return ""
    return templates_of(request).render("proposals/_delphi_release.html", language, processes=processes)


def _topics(**_about: object) -> tuple[str, ...]:
    # A process concludes in the transaction that publishes its release, and a release never changes:
    # the release's own topic (which every release page names) covers it.
    return ()


PANELS = {RELEASE: (Panel(render=delphi_release_panel, topics=_topics),)}
