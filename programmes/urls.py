"""Addresses of the programmes' pages, for templates, redirects and the API's html_url."""

from __future__ import annotations


def programme_path(programme_id: int) -> str:
    return f"/programmes/{programme_id}"


def assessment_path(assessment_id: int) -> str:
    return f"/assessments/{assessment_id}"


def theme_path(assessment_id: int, theme: str) -> str:
    return f"/assessments/{assessment_id}/themes/{theme}"


def changes_path(programme_id: int) -> str:
    return f"/programmes/{programme_id}/changes"
