"""After this worker publishes a release, it shows it at once (other workers within latest_ttl)."""

from __future__ import annotations

from litestar.datastructures import State


def release_published(state: State, framework_slug: str | None) -> None:
    """`framework_slug` None: some framework, not known which."""
    state.releases.forget(framework_slug)
    state.published.forget_current()
