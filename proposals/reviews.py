"""Review dates: each indicator was last reviewed when its current revision was published (a change,
or a confirmation: a proposal of kind `confirm` republishes it unchanged), and is due for review
`review_months` later (the framework's decision rule, 24 months by default)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from indicators.content import Release

# Indicators whose review falls within this time are listed as due (beside the overdue ones).
DUE_WITHIN = timedelta(days=90)


@dataclass(frozen=True)
class ReviewItem:
    code: str
    theme: str  # its code
    title: str
    last_reviewed: date
    review_due: date
    overdue: bool
    due_soon: bool  # due within DUE_WITHIN, not yet overdue


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has none (31 January + 1 = 28/29
    February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_schedule(release: Release, review_months: int, now: datetime) -> list[ReviewItem]:
    """Every indicator of `release` with its review dates, the earliest due first."""
    today = now.date()
    items = []
    for theme in release.themes:
        for indicator in theme.indicators:
            reviewed = indicator.revised_at.date()
            due = add_months(reviewed, review_months)
            items.append(
                ReviewItem(
                    code=indicator.code,
                    theme=theme.code,
                    title=indicator.text.title,
                    last_reviewed=reviewed,
                    review_due=due,
                    overdue=due <= today,
                    due_soon=today < due <= today + DUE_WITHIN,
                )
            )
    return sorted(items, key=lambda item: (item.review_due, item.code))
