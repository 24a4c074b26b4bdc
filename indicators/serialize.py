"""JSON shapes of the API (version 1). `base` is the site's address, prefixed to every html_url."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from indicators import urls
from indicators.adaptation_content import AdaptationChangeView, AdaptationView
from indicators.compare import Comparison, IndicatorRef
from indicators.content import Release
from indicators.queries import FrameworkInfo, ReleaseSummary, RevisionHistoryItem
from indicators.worddiff import as_text


def timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def framework_json(framework: FrameworkInfo, current: str | None, base: str) -> dict:
    return {
        "slug": framework.slug,
        "title": framework.title,
        "title_en": framework.title_en,
        "language": framework.language,
        "current_version": current,
        "html_url": base + urls.framework_path(framework.slug),
    }


def proposal_ref(proposal_id: int | None, base: str) -> dict | None:
    if proposal_id is None:
        return None
    return {"id": proposal_id, "html_url": base + urls.proposal_path(proposal_id)}


def release_summary_json(slug: str, release: ReleaseSummary | Release, base: str) -> dict:
    return {
        "version": release.version,
        "published_at": timestamp(release.published_at),
        "content_hash": release.content_hash,
        "summary": release.summary,
        "summary_en": release.summary_en,
        "proposal": proposal_ref(release.proposal_id, base),
        "html_url": base + urls.release_path(slug, release.version),
    }


def release_json(release: Release, base: str) -> dict:
    slug = release.framework
    return {
        "framework": slug,
        **release_summary_json(slug, release, base),
        "themes": [
            {
                "code": theme.code,
                "title": theme.title,
                "title_en": theme.title_en,
                "description": theme.description,
                "description_en": theme.description_en,
                "indicators": [
                    {
                        "code": indicator.code,
                        "revision": indicator.revision,
                        **asdict(indicator.text),
                        "revised_at": timestamp(indicator.revised_at),
                        "html_url": base + urls.indicator_path(slug, indicator.code, release.version),
                    }
                    for indicator in theme.indicators
                ],
            }
            for theme in release.themes
        ],
    }


def revision_json(slug: str, code: str, item: RevisionHistoryItem, base: str) -> dict:
    return {
        "indicator": code,
        "revision": item.number,
        **asdict(item.text),
        "created_at": timestamp(item.created_at),
        "first_release": item.first_release,
        "proposal": proposal_ref(item.proposal_id, base),
        "html_url": base + urls.indicator_path(slug, code, item.first_release)
        if item.first_release
        else None,
    }


def comparison_json(slug: str, comparison: Comparison, base: str) -> dict:
    def ref(item: IndicatorRef, version: str) -> dict:
        return {**asdict(item), "html_url": base + urls.indicator_path(slug, item.code, version)}

    return {
        "from": comparison.from_version,
        "to": comparison.to_version,
        "added": [ref(item, comparison.to_version) for item in comparison.added],
        "removed": [ref(item, comparison.from_version) for item in comparison.removed],
        "changed": [
            {
                "code": item.code,
                "title": item.title,
                "theme": item.theme,
                "before_revision": item.before_revision,
                "after_revision": item.after_revision,
                "before": {field.name: field.before for field in item.fields},
                "after": {field.name: field.after for field in item.fields},
                "diff": {field.name: as_text(field.diff) for field in item.fields},
                "html_url": base + urls.indicator_path(slug, item.code, comparison.to_version),
            }
            for item in comparison.changed
        ],
        "moved": [
            {**asdict(item), "html_url": base + urls.indicator_path(slug, item.code, comparison.to_version)}
            for item in comparison.moved
        ],
        "html_url": base + urls.compare_path(slug, comparison.from_version, comparison.to_version),
    }


# Local adaptations. Their addresses are here, beside their JSON, for the pages and the API to agree.
def adaptation_path(adaptation_id: int) -> str:
    return f"/adaptations/{adaptation_id}"


def adaptations_path(slug: str) -> str:
    return f"{urls.framework_path(slug)}/adaptations"


def territory_json(view: AdaptationView) -> dict:
    where = {"department": view.department} if view.department else {"region": view.region}
    return {**where, "name": view.territory}


def adaptation_change_json(change: AdaptationChangeView) -> dict:
    shape: dict = {"indicator": change.indicator, "kind": change.kind, "theme": change.theme}
    shape["reason"] = change.reason
    if change.before is not None:
        shape["before"] = asdict(change.before)
    if change.after is not None:
        shape["after"] = asdict(change.after)
    return shape


def adaptation_json(view: AdaptationView, base: str) -> dict:
    return {
        "id": view.id,
        "name": view.name,
        "framework": view.framework,
        "territory": territory_json(view),
        "base_version": view.base_version,
        "version": view.version,
        "content_hash": view.content_hash,
        "published_at": timestamp(view.published_at) if view.published_at else None,
        "changes": [adaptation_change_json(change) for change in view.changes],
        "upstream_changed": list(view.upstream_changed),
        "html_url": base + adaptation_path(view.id),
    }


def indicator_adaptation_json(view: AdaptationView, code: str, base: str) -> dict:
    """One adaptation touching the national indicator `code`: what it does to it."""
    kind = next(change.kind for change in view.changes if change.indicator == code)
    return {
        "id": view.id,
        "name": view.name,
        "territory": territory_json(view),
        "version": view.version,
        "kind": kind,
        "html_url": base + adaptation_path(view.id),
    }
