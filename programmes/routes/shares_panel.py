"""Where the programmes registered are, by region and kind of territory, beside who took part in the
co-design (web/panels.py, place PARTICIPATION): a territory that runs many programmes and is not heard
stands out. Proposals cannot read programmes (they sit below them), so programmes add this panel.

The same rule as participation figures (proposals/participation.py): a count under K reads "<5" and its
share is not shown (share × total would give it back); the total number of programmes is exact.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from litestar import Request

from places.france import regions
from places.territory_kinds import KIND_NAMES, TERRITORY_KINDS
from programmes.tables import Programme
from programmes.topics import PROGRAMMES
from proposals.participation import NOT_SAID, Count, masked, place_of
from web.panels import Panel
from web.rendering import templates_of


@dataclass(frozen=True)
class Share:
    key: str  # a region's INSEE code, a kind, or NOT_SAID
    programmes: Count
    percent: int | None  # of all programmes, rounded; None when the count is masked


@dataclass(frozen=True)
class ProgrammeShares:
    total: int
    by_region: tuple[Share, ...]  # the 18 regions in INSEE order, then NOT_SAID
    by_kind: tuple[Share, ...]  # TERRITORY_KINDS, then NOT_SAID (programmes that declared none)


def _shares(keys: tuple[str, ...], counts: Counter[str], total: int) -> tuple[Share, ...]:
    def share(key: str) -> Share:
        shown = masked(counts[key])
        percent = round(100 * counts[key] / total) if isinstance(shown, int) else None
        return Share(key, shown, percent)

    return tuple(share(key) for key in keys)


async def programme_shares() -> ProgrammeShares:
    """Every programme's place, counted: one query (a programme's kinds are JSON, counted here)."""
    rows = await Programme.select(Programme.department, Programme.territory_kinds)
    places = [place_of(row["department"], row["territory_kinds"]) for row in rows]
    by_region = Counter(place.region for place in places)
    by_kind = Counter(kind for place in places for kind in place.kinds)
    return ProgrammeShares(
        total=len(places),
        by_region=_shares((*(region.code for region in regions()), NOT_SAID), by_region, len(places)),
        by_kind=_shares((*TERRITORY_KINDS, NOT_SAID), by_kind, len(places)),
    )


async def shares_panel(request: Request, *, framework: str, language: str) -> str:
    """The table of programmes registered by region and kind (whatever the framework: a programme
    is where it is for every framework it assesses itself against)."""
    shares = await request.app.state.reads.get(("programme-shares",), programme_shares, topics=(PROGRAMMES,))
    return templates_of(request).render(
        "programmes/_shares.html",
        language,
        shares=shares,
        region_names={region.code: region.name for region in regions()},
        kind_names=KIND_NAMES,
        not_said=NOT_SAID,
    )


def _topics(**_about: object) -> tuple[str, ...]:
    return (PROGRAMMES,)


SHARES_PANEL = Panel(render=shares_panel, topics=_topics)
