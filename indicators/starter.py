"""The starter framework shipped with the application, loaded as release 1.0.0 into an empty database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml

from indicators.content import IndicatorText
from indicators.publication import Change, ChangeKind, publish_release
from indicators.queries import ReleaseSummary
from indicators.tables import Framework, Theme
from indicators.versions import Bump

STARTER_FILE = Path(__file__).parent / "starter-framework.yaml"
STARTER_SUMMARY = "Version de départ, à discuter et à valider par la communauté de pratique."
STARTER_SUMMARY_EN = "Starter release, to be discussed and validated by the community of practice."


def read_document(path: Path = STARTER_FILE) -> dict:
    with path.open(encoding="utf-8") as file:
        return yaml.safe_load(file)


def indicator_text(item: dict) -> IndicatorText:
    return IndicatorText(
        title=item["title_fr"],
        title_en=item.get("title_en"),
        statement=item["statement_fr"],
        statement_en=item.get("statement_en"),
        rationale=item["rationale_fr"],
        rationale_en=item.get("rationale_en"),
        evidence_level=item["evidence_level"],
        measurement=item.get("measurement", ""),
        territorial_note=item.get("territorial_note"),
    )


async def load_starter_if_empty(path: Path = STARTER_FILE) -> ReleaseSummary | None:
    """Load the starter framework unless a framework exists already. Returns the release made."""
    if await Framework.count() > 0:
        return None
    document = read_document(path)
    async with Framework._meta.db.transaction():
        # Another process may have loaded it between the count and the lock.
        if await Framework.count() > 0:
            return None
        return await load_document(document)


async def load_document(document: dict) -> ReleaseSummary:
    meta = document["framework"]
    framework = Framework(
        slug=meta["id"],
        language=meta.get("default_language", "fr"),
        title=meta["title_fr"],
        title_en=meta.get("title_en"),
        description=meta.get("description_fr", ""),
        description_en=meta.get("description_en"),
        revision_policy=meta.get("revision_policy_fr", ""),
        evidence_levels=meta.get("evidence_levels", []),
        bibliography=document.get("references", []),
        created_at=datetime.now(UTC),
    )
    await Framework.insert(framework)
    await Theme.insert(
        *(
            Theme(
                framework=framework.id,
                code=theme["code"],
                title=theme["title_fr"],
                title_en=theme.get("title_en"),
                description=theme.get("description_fr", ""),
                description_en=theme.get("description_en"),
                position=position,
            )
            for position, theme in enumerate(document["themes"], start=1)
        )
    )
    changes = [
        Change(ChangeKind.add, item["code"], indicator_text(item), theme["code"])
        for theme in document["themes"]
        for item in theme["indicators"]
    ]
    release = await publish_release(framework.slug, changes, Bump.major, STARTER_SUMMARY, STARTER_SUMMARY_EN)
    if release.version != meta.get("version", release.version):
        raise ValueError(f"the starter file says {meta['version']}, its first release is {release.version}")
    return release
