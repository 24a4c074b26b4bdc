"""How to cite a release: a reference text, BibTeX and CSL-JSON (the format of Zotero and of the
Citation Style Language processors). Each names the framework, the version, the date, the permanent
address and the content hash, which lets a reader check that they hold the text cited."""

from __future__ import annotations

import json
import re

from indicators import urls
from indicators.content import Release
from indicators.queries import FrameworkInfo

PUBLISHER = "Référentiel vivant"
# What BibTeX reads as commands or groups in a field: escaped, so that a title is printed as written.
_BIBTEX_SPECIAL = re.compile(r"([\\{}%&$#_^~])")
_BIBTEX_ESCAPES = {"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def citation_key(release: Release) -> str:
    return f"{release.framework}-{release.version}"


def permanent_address(release: Release, base: str) -> str:
    return base + urls.release_path(release.framework, release.version)


def reference(framework: FrameworkInfo, release: Release, base: str) -> str:
    """The reference as a bibliography prints it (the same in every language: it cites a French text)."""
    day = release.published_at.date().isoformat()
    return (
        f"{PUBLISHER}. {framework.title}, version {release.version} ({day}). "
        f"{permanent_address(release, base)}. SHA-256 : {release.content_hash}."
    )


def _bibtex_text(text: str) -> str:
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_ESCAPES.get(m[1], "\\" + m[1]), text)


def bibtex(framework: FrameworkInfo, release: Release, base: str) -> str:
    published = release.published_at
    fields = {
        "author": "{" + PUBLISHER + "}",  # a corporate author: braced, so it is not split into names
        "title": "{" + _bibtex_text(framework.title) + "}",
        "version": release.version,
        "year": str(published.year),
        "month": MONTHS[published.month - 1],
        "date": published.date().isoformat(),
        "publisher": PUBLISHER,
        "url": permanent_address(release, base),
        "note": f"SHA-256: {release.content_hash}",
    }
    lines = [f"@misc{{{citation_key(release)},"]
    for name, value in fields.items():
        lines.append(f"  {name} = {value}," if name == "month" else f"  {name} = {{{value}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def csl_item(framework: FrameworkInfo, release: Release, base: str) -> dict:
    published = release.published_at
    return {
        "id": citation_key(release),
        "type": "standard",
        "title": framework.title,
        "version": release.version,
        "author": [{"literal": PUBLISHER}],
        "publisher": PUBLISHER,
        "issued": {"date-parts": [[published.year, published.month, published.day]]},
        "URL": permanent_address(release, base),
        "language": framework.language,
        "note": f"SHA-256: {release.content_hash}",
    }


def csl_json(framework: FrameworkInfo, release: Release, base: str) -> str:
    """A CSL-JSON file: a list of items, here one."""
    return json.dumps([csl_item(framework, release, base)], ensure_ascii=False, indent=2) + "\n"
