"""A Delphi process as JSON (the API's shape and the report's file) and as CSV (one row per round,
item and criterion). The report says what the literature asks a Delphi study to report (ACCORD,
Gattrell et al. 2024): the panel and its response per round, the rating scale and criteria, the
definition of consensus, the items and their classification per round, and the outcome. It holds
the panel's figures only: never an individual rating, never who wrote a comment."""

from __future__ import annotations

import csv
import io
from typing import Any

from indicators import urls
from indicators.exports import defuse
from indicators.serialize import timestamp
from proposals.delphi import MIN_RATINGS
from proposals.delphi_reading import ItemView, ProcessView, Progress, RoundView

# How items are classified, as the report states it (proposals/delphi_statistics.py does it).
METHOD = {
    "name": "RAND/UCLA appropriateness method (modified Delphi)",
    "scale": "1-9 (1-3 inappropriate, 4-6 uncertain, 7-9 appropriate)",
    "anonymity": "ratings are anonymous; the panel sees only the distribution, median and comments",
    "percentiles": "P30 and P70 by linear interpolation between closest ranks (rank = (n - 1) p)",
    "disagreement": "IPR = P70 - P30 larger than IPRAS = 2.35 + 1.5 x |5 - (P30 + P70) / 2|",
    "classification": (
        "appropriate when the median is 7-9, inappropriate when 1-3, uncertain when 4-6 or with disagreement"
    ),
    "outcome": "retained when appropriate on every criterion, rejected when inappropriate on any, "
    "re-rated otherwise",
    "minimum_ratings": MIN_RATINGS,
}


def delphi_path(process_id: int) -> str:
    return f"/delphi/{process_id}"


def report_path(process_id: int, fmt: str | None = None) -> str:
    return f"/delphi/{process_id}/report" + (f".{fmt}" if fmt else "")


def _moment(value: Any) -> str | None:
    return timestamp(value) if value is not None else None


def _item_json(item: ItemView, base: str) -> dict[str, Any]:
    result = {
        "proposal": {
            "id": item.proposal_id,
            "title": item.title,
            "kind": item.kind,
            "indicator": item.indicator_code,
            "theme": item.theme_code,
            "status": item.status,
            "html_url": base + urls.proposal_path(item.proposal_id),
        },
    }
    if item.outcome is not None:
        result["figures"] = item.figures
        result["outcome"] = item.outcome
    return result


def _round_json(round_: RoundView, base: str) -> dict[str, Any]:
    return {
        "number": round_.number,
        "opened_at": timestamp(round_.opened_at),
        "closes_at": timestamp(round_.closes_at),
        "closed_at": _moment(round_.closed_at),
        "panel_size": round_.panel_size,
        "respondents": round_.respondents,
        "completed": round_.completed,
        "response_rate": round_.response_rate,
        "items": [_item_json(item, base) for item in round_.items],
    }


def process_json(view: ProcessView, base: str, progress: Progress | None = None) -> dict[str, Any]:
    """The process as anyone signed in reads it; `progress` of the open round for a steward (who
    has not answered yet, to remind them)."""
    release = None
    if view.release_version is not None:
        release = {
            "version": view.release_version,
            "html_url": base + urls.release_path(view.framework, view.release_version),
        }
    result = {
        "id": view.id,
        "title": view.title,
        "framework": view.framework,
        "working_group": {"id": view.working_group_id, "name": view.working_group},
        "status": view.status,
        "criteria": list(view.criteria),
        "instructions": view.instructions,
        "created_at": timestamp(view.created_at),
        "concluded_at": _moment(view.concluded_at),
        "round": view.rounds[-1].number,
        "rounds": [_round_json(round_, base) for round_ in view.rounds],
        "outcome": view.outcome,
        "release": release,
        "method": METHOD,
        "html_url": base + delphi_path(view.id),
        "report_url": base + report_path(view.id),
    }
    if progress is not None:
        result["progress"] = {
            "panel_size": progress.panel_size,
            "completed": progress.completed,
            "pending": [{"id": account, "display_name": name} for account, name in progress.pending],
        }
    return result


CSV_HEADER = (
    "round",
    "proposal",
    "title",
    "criterion",
    "ratings",
    *(f"rated_{value}" for value in range(1, 10)),
    "median",
    "p30",
    "p70",
    "ipr",
    "ipras",
    "disagreement",
    "classification",
    "outcome",
    "panel_size",
    "completed",
)


def report_csv(view: ProcessView) -> str:
    """One row per closed round, item and criterion; the panel's figures, empty when there were too
    few ratings to show them. Texts defused as in the release's CSV (they come from people)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for round_ in view.rounds:
        if round_.closed_at is None:
            continue
        for item in round_.items:
            for criterion in view.criteria:
                found = (item.figures or {}).get(criterion) or {}
                counts = found.get("counts") or [""] * 9
                row = [
                    round_.number,
                    item.proposal_id,
                    item.title,
                    criterion,
                    found.get("ratings", 0),
                    *counts,
                    *(found.get(name, "") for name in ("median", "p30", "p70", "ipr", "ipras")),
                    "" if "disagreement" not in found else str(found["disagreement"]).lower(),
                    found.get("classification", "uncertain"),
                    item.outcome,
                    round_.panel_size,
                    round_.completed,
                ]
                writer.writerow([defuse(cell) for cell in row])
    return buffer.getvalue()
