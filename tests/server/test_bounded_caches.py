"""Every cache a worker keeps is bounded, so that its memory stays under the ceiling documented in
bench/README.md ("memory") whatever it is asked: by entries and bytes (web/cache.py), the topics it
remembers too, and a release is counted at no less than what it holds."""

from __future__ import annotations

from indicators.content import release_size
from indicators.queries import find_release, get_framework, load_release
from indicators.release_cache import ReleaseCache
from server.app import MIB, READS_MAX, RELEASES_MAX, RESPONSES_MAX, create_app
from tests.constants import SLUG
from web.cache import Cache, Generations, approximate_size


def test_every_cache_of_the_app_is_bounded_as_documented():
    state = create_app().state
    caches = {"responses": state.responses, "reads": state.reads, "releases": state.releases.cache}
    limits = {"responses": RESPONSES_MAX, "reads": READS_MAX, "releases": RELEASES_MAX}
    assert sum(size for _entries, size in limits.values()) == 160 * MIB  # the ceiling's caches part
    for name, cache in caches.items():
        assert (cache.max_entries, cache.max_bytes) == limits[name]
        assert cache.generations is state.generations
    assert [value for value in state.values() if isinstance(value, Cache | ReleaseCache)] == [
        state.responses,
        state.reads,
        state.releases,
    ]
    assert isinstance(state.generations, Generations) and state.generations.max_topics <= 20_000


def test_a_flood_of_distinct_entries_stays_within_the_bounds():
    generations = Generations()
    cache = Cache(generations, max_entries=RESPONSES_MAX[0], max_bytes=RESPONSES_MAX[1], ttl=30)
    page = b"x" * 40_000
    for number in range(5_000):  # 200 MB of pages at distinct addresses
        cache.store((f"/proposals/{number:05d}", "fr|out"), page, since=generations.now(), size=len(page))
        assert cache.bytes <= RESPONSES_MAX[1] and len(cache) <= RESPONSES_MAX[0]
    assert len(cache) == RESPONSES_MAX[1] // len(page)


async def test_a_release_is_counted_at_no_less_than_it_holds(db: None):
    framework = await get_framework(SLUG)
    release = await load_release(framework, await find_release(framework, "latest"))
    assert approximate_size(release) <= release_size(release) <= 2 * approximate_size(release)
