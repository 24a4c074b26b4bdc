"""Review dates (proposals/reviews.py), confirmations that record a review as a patch release, and
the decision rule's review period and last call days (on both engines)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from indicators.queries import find_release, get_framework, indicator_history
from proposals.reading import get_proposal
from proposals.reviews import add_months, review_schedule
from proposals.roles import Role
from proposals.rules import get_rule, set_rule
from proposals.voting import decide_proposal
from tests.api_client import Api
from tests.constants import SLUG
from tests.indicators.release_factory import starter_release
from tests.proposals.factories import add_proposal, make_account, make_group, make_steward, voted
from web.failures import InvalidInput

NOW = datetime(2028, 1, 10, tzinfo=UTC)  # the starter release of the factory is of 2026-01-15


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 15), 24, date(2028, 1, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 12, 31), 2, date(2028, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 5, 1), 120, date(2036, 5, 1)),
    ],
)
def test_months_are_added_on_the_calendar(day, months, expected):
    assert add_months(day, months) == expected


def test_the_schedule_lists_due_and_overdue_indicators():
    release = starter_release()
    items = review_schedule(release, 24, NOW)
    assert len(items) == len(release.indicators())
    first = items[0]
    assert (first.last_reviewed, first.review_due) == (date(2026, 1, 15), date(2028, 1, 15))
    assert all(item.due_soon and not item.overdue for item in items)  # due in 5 days
    later = review_schedule(release, 24, NOW + timedelta(days=5))
    assert all(item.overdue and not item.due_soon for item in later)
    assert not any(item.overdue or item.due_soon for item in review_schedule(release, 36, NOW))


@pytest.mark.usefixtures("db")
async def test_an_accepted_confirmation_publishes_a_patch_release_that_dates_the_review():
    members = await make_group()
    steward = await make_steward()
    author = await make_account()
    with pytest.raises(InvalidInput, match="A confirmation carries no content"):
        await add_proposal(author, kind="confirm", indicator="REC-2", theme=None, content={"statement": "x"})
    with pytest.raises(InvalidInput, match="change class of a confirmation is patch"):
        await add_proposal(
            author, kind="confirm", indicator="REC-2", theme=None, content=None, change_class="minor"
        )
    proposal = await add_proposal(author, kind="confirm", indicator="REC-2", theme=None, content=None)
    assert (proposal.kind, proposal.change_class, proposal.diff) == ("confirm", "patch", [])
    after = await voted(proposal, members, ["for"] * 3, steward)
    decision = await decide_proposal(None, proposal.id, now=after)
    assert (decision.status, decision.release_version) == ("accepted", "1.0.1")
    framework = await get_framework(SLUG)
    history = await indicator_history(framework, "REC-2")
    assert [item.number for item in history][-2:] == [1, 2]
    assert history[-1].text == history[-2].text  # the same text, reviewed again
    assert history[-1].proposal_id == proposal.id
    release = await find_release(framework, "latest")
    assert release.version == "1.0.1"
    assert (await get_proposal(proposal.id)).status == "accepted"


@pytest.mark.usefixtures("db")
async def test_the_rule_has_a_review_period_and_last_call_days():
    steward = await make_steward()
    framework = await get_framework(SLUG)
    rule = await get_rule(framework.id)
    assert (rule.review_months, rule.last_call_days) == (24, 0)
    rule = await set_rule(steward, SLUG, review_months=12, last_call_days=3)
    assert (rule.review_months, rule.last_call_days, rule.voting_days) == (12, 3, 7)
    for name, value in (
        ("review_months", 0),
        ("review_months", 121),
        ("last_call_days", -1),
        ("last_call_days", 61),
    ):
        with pytest.raises(InvalidInput, match="must be a whole number from"):
            await set_rule(steward, SLUG, **{name: value})


async def test_reviews_through_the_api_and_the_page(client):
    api = Api(client)
    steward = await api.token(
        "steward@example.org",
        name="Steward",
        role=Role.steward,
    )
    listed = (await api.call("GET", f"/frameworks/{SLUG}/reviews")).json()
    assert len(listed) == 35
    today = datetime.now(UTC).date()
    assert {item["last_reviewed"] for item in listed} == {today.isoformat()}
    assert listed[0]["review_due"] == add_months(today, 24).isoformat()
    assert not any(item["overdue"] for item in listed)
    assert set(listed[0]) == {"code", "theme", "title", "last_reviewed", "review_due", "overdue", "html_url"}
    rule = await api.call("PUT", f"/frameworks/{SLUG}/decision-rule", steward, json={"review_months": 1})
    assert (
        rule.status_code == 200 and rule.json()["review_months"] == 1 and rule.json()["last_call_days"] == 0
    )
    assert (await api.call("GET", f"/frameworks/{SLUG}/reviews?x=1")).status_code == 400
    page = (await client.get(f"/frameworks/{SLUG}/reviews")).text
    assert "Indicateurs à revoir" in page
    assert "/proposals/new?kind=confirm&amp;indicator=REC-1" in page  # due within three months
    form = await client.get("/proposals/new?kind=confirm&indicator=REC-1")
    assert form.status_code in (200, 303)
