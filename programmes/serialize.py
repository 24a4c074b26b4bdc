"""The JSON shapes of programmes, assessments, share links and actions (contract.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from indicators import urls as framework_urls
from programmes.assessments import ActionView, AnswerView, AssessmentView
from programmes.changes import ProgrammeChanges
from programmes.field import FieldFigures
from programmes.membership import ProgrammeView
from programmes.urls import assessment_path, programme_path


def moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def programme_json(view: ProgrammeView, assessments: list, base: str) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "department": view.department.code,
        "region": view.department.region.code,
        "territory_kinds": list(view.territory_kinds),
        "members": [
            {"account_id": m.account_id, "display_name": m.display_name, "role": m.role.value}
            for m in view.members
        ],
        "assessments": [
            {
                "id": a.id,
                "framework": a.framework,
                "release": a.release,
                "status": a.status,
                "created_at": moment(a.created_at),
                "submitted_at": moment(a.submitted_at),
                "html_url": base + assessment_path(a.id),
            }
            for a in assessments
        ],
        "html_url": base + programme_path(view.id),
    }


def answer_json(answer: AnswerView) -> dict[str, Any]:
    return {
        "indicator": answer.indicator,
        "theme": answer.theme or None,
        "revision": answer.revision or None,
        "level": answer.level,
        "justification": answer.justification,
        "evidence": answer.evidence,
        "links": list(answer.links),
        "carried": answer.carried,
        "needs_review": answer.needs_review,
        "version": answer.version,
        "updated_at": moment(answer.updated_at),
    }


def action_json(action: ActionView) -> dict[str, Any]:
    return {
        "id": action.id,
        "indicator": action.indicator,
        "title": action.title,
        "owner": action.owner,
        "due_on": action.due_on.isoformat() if action.due_on else None,
        "status": action.status,
        "carried": action.carried,
    }


def assessment_json(view: AssessmentView, base: str) -> dict[str, Any]:
    answered, total = view.progress
    return {
        "id": view.id,
        "programme_id": view.programme_id,
        "framework": view.framework,
        "release": view.release.version,
        "release_hash": view.release.content_hash,
        "release_url": base + framework_urls.release_path(view.framework, view.release.version),
        "status": view.status,
        "content_hash": view.content_hash,
        "predecessor": view.predecessor,
        "created_at": moment(view.created_at),
        "submitted_at": moment(view.submitted_at),
        "progress": {"answered": answered, "total": total},
        "answers": [answer_json(a) for a in view.answers],
        "archived": [answer_json(a) for a in view.archived],
        "by_theme": [{"theme": theme.code, "counts": counts} for theme, counts in view.by_theme()],
        "actions": [action_json(a) for a in view.actions],
        "adaptation": None
        if view.local is None
        else {
            "id": view.local.adaptation,
            "name": view.local.name,
            "territory": view.local.territory,
            "version": view.local.version,
            "content_hash": view.local.content_hash,
            "html_url": f"{base}/adaptations/{view.local.adaptation}",
        },
        "not_applicable_here": [
            {"indicator": code, "reason": reason}
            for code, reason in (view.local.not_applicable if view.local else ())
        ],
        "html_url": base + assessment_path(view.id),
    }


def changes_json(changes: ProgrammeChanges) -> dict[str, Any]:
    def ref(item) -> dict[str, Any]:
        answer = changes.answers.get(item.code)
        return {
            "indicator": item.code,
            "title": item.title,
            "theme": item.theme,
            "revision": item.revision,
            "level": answer.level if answer else None,
        }

    return {
        "framework": changes.framework,
        "from": changes.from_version,
        "to": changes.to_version,
        "assessment_id": changes.assessment_id,
        "unchanged": [ref(item) for item in changes.unchanged],
        "changed": [
            {
                "indicator": c.code,
                "title": c.title,
                "theme": c.theme,
                "before_revision": c.before_revision,
                "after_revision": c.after_revision,
                "level": changes.answers[c.code].level if c.code in changes.answers else None,
                "fields": [
                    {
                        "name": f.name,
                        "before": f.before,
                        "after": f.after,
                        "diff": [{"op": op, "text": text} for op, text in f.diff],
                    }
                    for f in c.fields
                ],
            }
            for c in changes.changed
        ],
        "added": [ref(item) for item in changes.added],
        "retired": [ref(item) for item in changes.retired],
    }


def field_json(figures: FieldFigures, with_reasons: bool) -> dict[str, Any]:
    if not figures.shown:
        return {"shown": False, "needed": figures.needed}
    return {
        "shown": True,
        "programmes": figures.programmes,
        "counts": figures.counts,
        # The reasons only for working-group members (who revise the indicators); empty for others.
        "not_applicable_reasons": list(figures.reasons) if with_reasons else [],
    }
