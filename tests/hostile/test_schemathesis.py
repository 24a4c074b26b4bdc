"""Property-based requests generated from the app's own OpenAPI schema (/schema/openapi.json) by
schemathesis: valid and invalid bodies, parameters and headers for every API operation, sent as a
steward (the caller with the most rights) with a bearer token. No answer may be a 5xx.

schemathesis drives the ASGI app in-process, in its own thread and event loop, and runs the app's
lifespan there (so on PostgreSQL the pool belongs to that loop); it is shut down after the test.
Its pytest integration (`from_fixture`, `parametrize`) does not work with pytest 9 (it reads
`node._nodeid`), so the operations are walked here, each with a bounded Hypothesis run: at most
25 examples per operation and generation mode (positive, negative), no deadline, no shrinking.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans

from proposals.access import create_api_token
from proposals.accounts import register_account
from proposals.discussion import add_comment
from proposals.proposing import create_proposal
from proposals.roles import Role
from proposals.working_groups import add_member, create_working_group
from server.app import create_app
from tests.constants import PASSWORD, SLUG

EXAMPLES = 25
EXISTING = {"slug": SLUG, "proposal_id": 1, "comment_id": 1, "group_id": 1, "account_id": 2}
BUDGET_SECONDS = 60


def runner(
    operation, mode: GenerationMode, headers: dict, statuses: Counter, failures: list[str], **fixed: object
):
    """A bounded Hypothesis run of one operation in one generation mode (`fixed` path parameters)."""
    label = f"{operation.label} ({mode.value}{', ' + str(fixed) if fixed else ''})"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,  # the same examples on every run: a failure in CI reproduces here
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed or None))
    def run(case) -> None:
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except Exception as failure:  # collected: every operation gets its turn
            failures.append(f"{label}: {failure}"[:2000])

    return run


def exercise(token: str) -> tuple[Counter, list[str], int]:
    """Every operation in both modes: (statuses seen, failures, operations)."""
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app())
    schema.config.generation.update(max_examples=EXAMPLES, no_shrink=True, allow_x00=True)
    headers = {"Authorization": f"Bearer {token}"}
    statuses: Counter = Counter()
    failures: list[str] = []
    operations = 0
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    runner(operation, mode, headers, statuses, failures)()
                except Unsatisfiable:
                    # Nothing in the operation can be made invalid (no parameters, no body).
                    assert mode is GenerationMode.NEGATIVE, operation.label
            # Random slugs and ids mostly find nothing (404): again with the framework that exists,
            # and the proposal, comment, group and account made below.
            names = {parameter.name for parameter in operation.path_parameters}
            fixed = {name: value for name, value in EXISTING.items() if name in names}
            if fixed:
                runner(operation, GenerationMode.POSITIVE, headers, statuses, failures, **fixed)()
    finally:
        shutdown_lifespans()  # the app's shutdown hooks: decision loop stopped, pool closed
    return statuses, failures, operations


async def test_no_operation_answers_with_a_server_error(db: None):
    account = await register_account("steward@example.org", PASSWORD, "Steward", role=Role.steward)
    token = await create_api_token(account.id)
    # Something for the operations to find: account 2, proposal 1 with comment 1, working group 1.
    author = await register_account("author@example.org", PASSWORD, "Author")
    group = await create_working_group(account.actor, SLUG, "GT", ["REC"])
    await add_member(account.actor, group.id, author.id)
    proposal = await create_proposal(
        author.actor,
        SLUG,
        "amend",
        "latest",
        "Titre",
        "Pourquoi.",
        indicator="REC-1",
        content={"statement": "Un énoncé revu."},
    )
    await add_comment(author.actor, proposal.id, "Un avis.")
    assert (author.id, group.id, proposal.id) == (2, 1, 1)
    started = time.perf_counter()
    statuses, failures, operations = await asyncio.to_thread(exercise, token)
    elapsed = time.perf_counter() - started
    total = sum(statuses.values())
    refused = sum(count for status, count in statuses.items() if 400 <= status < 500)
    print(
        f"schemathesis: {operations} operations, {total} requests in {elapsed:.1f} s, "
        f"{refused} refused (4xx), statuses {dict(sorted(statuses.items()))}"
    )
    assert not failures, "\n\n".join(failures)
    assert operations >= 20 and total >= operations * EXAMPLES
    assert not [status for status in statuses if status >= 500]
    assert elapsed < BUDGET_SECONDS * 2  # a guard against a run that stops being bounded
