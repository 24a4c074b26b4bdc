"""Addresses of the pages people read: one place, so pages, feeds and the API agree."""

from urllib.parse import quote

from web.failures import NotFound


def framework_path(slug: str) -> str:
    return f"/frameworks/{quote(slug)}"


def releases_path(slug: str) -> str:
    return f"{framework_path(slug)}/releases"


def release_path(slug: str, version: str) -> str:
    return f"{releases_path(slug)}/{quote(version)}"


def download_path(slug: str, version: str, fmt: str) -> str:
    return f"{release_path(slug, version)}.{fmt}"


def feed_path(slug: str) -> str:
    return f"{releases_path(slug)}.atom"


def indicator_path(slug: str, code: str, version: str | None = None) -> str:
    """The indicator as in one release, or as it stands now when no version is given."""
    base = release_path(slug, version) if version else framework_path(slug)
    return f"{base}/indicators/{quote(code)}"


def compare_path(slug: str, before: str, after: str) -> str:
    return f"{framework_path(slug)}/compare/{quote(before)}...{quote(after)}"


def proposal_path(proposal_id: int) -> str:
    return f"/proposals/{proposal_id}"


def split_comparison(spec: str) -> tuple[str, str]:
    """'1.0.0...latest' (the last segment of a comparison's address) -> ('1.0.0', 'latest')."""
    before, separator, after = spec.partition("...")
    if not separator:
        raise NotFound("%(spec)r is not a comparison: write FROM...TO, e.g. 1.0.0...latest.", spec=spec)
    return before, after
