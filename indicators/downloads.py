"""A release as a file: JSON (the API's shape), CSV or Markdown, and its citation (BibTeX, CSL-JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable

from indicators.citation import bibtex, csl_json
from indicators.content import Release
from indicators.exports import release_csv, release_markdown
from indicators.queries import FrameworkInfo
from indicators.serialize import release_json


def _json(framework: FrameworkInfo, release: Release, base: str) -> str:
    return json.dumps(release_json(release, base), ensure_ascii=False, indent=2) + "\n"


def _csv(framework: FrameworkInfo, release: Release, base: str) -> str:
    return release_csv(release)


def _markdown(framework: FrameworkInfo, release: Release, base: str) -> str:
    labels = {
        level["id"]: level.get(f"label_{framework.language}", level["id"])
        for level in framework.evidence_levels
    }
    return release_markdown(release, framework.title, labels)


DOWNLOADS: dict[str, tuple[str, Callable[[FrameworkInfo, Release, str], str]]] = {
    "json": ("application/json", _json),
    "csv": ("text/csv", _csv),
    "md": ("text/markdown", _markdown),
    "bib": ("text/x-bibtex", bibtex),
    "csl.json": ("application/vnd.citationstyles.csl+json", csl_json),
}


def split_download(version: str) -> tuple[str, str | None]:
    """'1.2.0.csv' -> ('1.2.0', 'csv'); '1.2.0.csl.json' -> ('1.2.0', 'csl.json');
    '1.2.0' -> ('1.2.0', None)."""
    for suffix in sorted(DOWNLOADS, key=len, reverse=True):  # csl.json before json
        stem = version.removesuffix("." + suffix)
        if stem and stem != version:
            return stem, suffix
    return version, None
