"""Decision rules: how long a discussion lasts at least, how long a vote lasts, the quorum and the
threshold for retirements; and the pure function that applies them to a tally."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from indicators.queries import get_framework
from proposals.audit import record
from proposals.roles import Actor, Role
from proposals.services import signed_in
from proposals.tables import DecisionRule
from proposals.topics import RULES
from web.changes import announce
from web.failures import InvalidInput
from web.messages import Term
from web.numbers import parse_share


@dataclass(frozen=True)
class Rule:
    min_discussion_days: int = 7
    voting_days: int = 7
    # Share of the working group that must vote (for, against or abstain).
    quorum: Fraction = Fraction(1, 2)
    # Share of "for" among "for" + "against" a retirement needs.
    retire_threshold: Fraction = Fraction(2, 3)
    # Days of last call between discussion and vote (0: the vote opens directly, no last call).
    last_call_days: int = 0
    # How long an indicator may go without review (its last revision or confirmation).
    review_months: int = 24


DEFAULT_RULE = Rule()


@dataclass(frozen=True)
class Tally:
    for_: int = 0
    against: int = 0
    abstain: int = 0

    @property
    def voted(self) -> int:
        return self.for_ + self.against + self.abstain


def quorum_reached(tally: Tally, group_size: int, rule: Rule) -> bool:
    return group_size > 0 and Fraction(tally.voted, group_size) >= rule.quorum


def quorum_needed(group_size: int, rule: Rule) -> int:
    """How many members must vote for the quorum."""
    return math.ceil(rule.quorum * group_size)


def decide_outcome(kind: str, tally: Tally, group_size: int, rule: Rule) -> bool:
    """True when the proposal is accepted: quorum reached, and a simple majority of "for" over
    "against" for an addition or amendment, the retire threshold for a retirement."""
    if not quorum_reached(tally, group_size, rule):
        return False
    if kind == "retire":
        return tally.for_ > 0 and tally.for_ >= rule.retire_threshold * (tally.for_ + tally.against)
    return tally.for_ > tally.against


def _rule_from_row(row: dict | None) -> Rule:
    if row is None:
        return DEFAULT_RULE
    return Rule(
        min_discussion_days=row["min_discussion_days"],
        voting_days=row["voting_days"],
        quorum=Fraction(row["quorum"]),
        retire_threshold=Fraction(row["retire_threshold"]),
        last_call_days=row["last_call_days"],
        review_months=row["review_months"],
    )


async def get_rule(framework_id: int) -> Rule:
    """The framework's decision rule; the defaults when none was set."""
    row = await DecisionRule.select().where(DecisionRule.framework == framework_id).first()
    return _rule_from_row(row)


# Whole numbers, with their bounds.
_WHOLE = {
    "min_discussion_days": (0, 365),
    "voting_days": (1, 365),
    "last_call_days": (0, 60),
    "review_months": (1, 120),
}
_SHARES = {"quorum": Fraction(0), "retire_threshold": Fraction(1, 2)}
# The fields as messages name them ("The voting days must be...").
_FIELD_NAMES = {
    "min_discussion_days": Term("min discussion days"),
    "voting_days": Term("voting days"),
    "quorum": Term("quorum"),
    "retire_threshold": Term("retire threshold"),
    "last_call_days": Term("last call days"),
    "review_months": Term("review months"),
}


def _whole(name: str, value: object) -> int:
    low, high = _WHOLE[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(
            "The %(what)s must be a whole number from %(low)s to %(high)s.",
            name,
            what=_FIELD_NAMES[name],
            low=low,
            high=high,
        )
    return value


def _share(name: str, value: object) -> Fraction:
    """A share given as text ("2/3", "0.5": parse_share reads only such short forms, never
    "1e999999999", whose Fraction would take a worker's memory and minutes) or as a number."""
    low = _SHARES[name]
    try:
        if isinstance(value, Fraction):
            share = value
        elif isinstance(value, str):
            share = parse_share(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            share = Fraction(value)
        elif isinstance(value, float) and math.isfinite(value):
            share = Fraction(value).limit_denominator(1000)
        else:
            raise ValueError(value)
    except (ValueError, ZeroDivisionError):
        raise InvalidInput(
            "The %(what)s must be a share such as 1/2 or 0.5.", name, what=_FIELD_NAMES[name]
        ) from None
    if not low <= share <= 1:
        raise InvalidInput(
            "The %(what)s must be between %(low)s and 1, not %(share)s.",
            name,
            what=_FIELD_NAMES[name],
            low=str(low),
            share=str(share),
        )
    return share.limit_denominator(1000)


async def set_rule(actor: Actor | None, framework_slug: str, **fields: object) -> Rule:
    """A steward changes some of min_discussion_days, voting_days, quorum, retire_threshold,
    last_call_days, review_months."""
    actor = signed_in(actor, Term("change the decision rule"))
    actor.require(Role.steward, Term("change the decision rule"))
    unknown = sorted(set(fields) - set(_WHOLE) - set(_SHARES))
    if unknown:
        names = {"names": ", ".join(unknown), "fields": ", ".join([*_WHOLE, *_SHARES])}
        if len(unknown) == 1:
            raise InvalidInput(
                "Unknown field of a decision rule: %(names)s. The fields are %(fields)s.", **names
            )
        raise InvalidInput(
            "Unknown fields of a decision rule: %(names)s. The fields are %(fields)s.", **names
        )
    if not fields:
        raise InvalidInput("Give at least one field of the decision rule to change.")
    values: dict = {}
    for name, value in fields.items():
        values[name] = _whole(name, value) if name in _WHOLE else str(_share(name, value))
    framework = await get_framework(framework_slug)
    columns = {name: getattr(DecisionRule, name) for name in values}
    async with DecisionRule._meta.db.transaction():
        defaults = {
            "min_discussion_days": DEFAULT_RULE.min_discussion_days,
            "voting_days": DEFAULT_RULE.voting_days,
            "quorum": str(DEFAULT_RULE.quorum),
            "retire_threshold": str(DEFAULT_RULE.retire_threshold),
            "last_call_days": DEFAULT_RULE.last_call_days,
            "review_months": DEFAULT_RULE.review_months,
        }
        # One atomic upsert: only the given columns change when the framework has a rule already.
        await DecisionRule.insert(DecisionRule(framework=framework.id, **{**defaults, **values})).on_conflict(
            target=DecisionRule.framework,
            action="DO UPDATE",
            values=[(columns[name], value) for name, value in values.items()],
        )
        await record(actor.id, "rule.updated", "framework", framework.id, values)
        await announce(RULES)
        rule = await get_rule(framework.id)
    return rule
