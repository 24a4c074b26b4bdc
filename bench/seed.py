"""Fill a database for the benchmark: 1,000 proposals, the first with 50 comments; 12 programmes
that submitted a self-assessment of every indicator of release 1.0.0 (so the indicator page shows
field evidence), the signed-in reader admin of the first (assessment 1, with evidence and actions).

Run by bench/run.py before it starts the server (REFERENTIEL_DATABASE_URL names the database). The
file named by its argument receives, as JSON, a signed-in reader's session cookie ("session") and
API tokens of that reader ("reader_token": may comment) and of the author ("author_token": a member,
may propose).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

os.environ.setdefault("REFERENTIEL_PASSWORD_HASHING", "fast")

from indicators.release_cache import ReleaseCache
from programmes.answers import AnswerInput, save_answers
from programmes.assessments import read_assessment, start_assessment
from programmes.membership import create_programme
from programmes.plan import add_action
from programmes.submission import submit_assessment
from proposals.access import create_api_token, start_session
from proposals.accounts import register_account
from proposals.discussion import add_comment
from proposals.proposing import create_proposal
from proposals.roles import Role
from server import use_piccolo_conf
from server.bootstrap import bootstrap
from server.settings import Settings
from web.cache import Cache, Generations
from web.database import pooled

PROPOSALS = 1000
COMMENTS = 50
PASSWORD = "bench password, not secret"
PROGRAMMES = 12
LEVELS = ("not_started", "in_progress", "in_place", "exemplary")
EVIDENCE = "Charte signée par **chaque mentor** ; voir le [compte rendu](https://example.org/cr) du comité."


async def seed(secrets_file: str | None) -> None:
    await bootstrap(Settings.from_env())
    author = (await register_account("author@bench.invalid", PASSWORD, "Autrice", role=Role.member)).actor
    readers = [
        (await register_account(f"reader{i}@bench.invalid", PASSWORD, f"Lecteur {i}")).actor for i in range(5)
    ]
    for number in range(PROPOSALS):
        code = f"REC-{number % 4 + 1}"
        await create_proposal(
            author,
            "qualite-mentorat",
            "amend",
            "latest",
            f"Proposition {number}: préciser {code}",
            "Pourquoi : **les retours de terrain** montrent que la formulation prête à confusion.",
            indicator=code,
            content={"statement": f"Énoncé révisé numéro {number}, plus précis sur la durée."},
        )
        if number % 100 == 0:
            print(f"seed: {number} proposals", file=sys.stderr)
    previous = None
    for number in range(COMMENTS):
        reader = readers[number % len(readers)]
        body = f"Commentaire {number} : *d'accord*, mais [voir](https://example.org) la mesure."
        comment = await add_comment(reader, 1, body, reply_to=previous if number % 3 else None)
        previous = comment.id
    await seed_programmes(
        [readers[0]]
        + [
            (await register_account(f"programme{i}@bench.invalid", PASSWORD, f"Structure {i}")).actor
            for i in range(1, PROGRAMMES)
        ]
    )
    if secrets_file:  # a signed-in reader, whose pages are made for them (never shared)
        secrets = {
            "session": await start_session(readers[0].id),
            "reader_token": await create_api_token(readers[0].id),
            "author_token": await create_api_token(author.id),
        }
        with open(secrets_file, "w") as file:
            json.dump(secrets, file)
    print(f"seed: {PROPOSALS} proposals, {COMMENTS} comments on proposal 1", file=sys.stderr)


async def seed_programmes(admins: list) -> None:
    """Each admin's programme submits an assessment of release 1.0.0; the first also plans actions."""
    releases = ReleaseCache(Cache(Generations(), max_entries=64, max_bytes=64 * 1024 * 1024, ttl=None))
    for number, admin in enumerate(admins):
        programme = await create_programme(admin, f"Structure de mentorat {number}", "59", ["urban"])
        assessment_id = await start_assessment(admin, programme.id, "qualite-mentorat", "1.0.0", releases)
        view = await read_assessment(admin, assessment_id, releases)
        answers = [
            AnswerInput(a.indicator, LEVELS[(i + number) % len(LEVELS)], evidence=EVIDENCE, version=0)
            for i, a in enumerate(view.answers)
        ]
        await save_answers(admin, assessment_id, answers, releases)
        if number == 0:
            for answer in view.answers[:5]:
                await add_action(
                    admin, assessment_id, answer.indicator, "Former les mentors", releases, "Awa"
                )
        await submit_assessment(admin, assessment_id, releases, aggregate_min=1)
    print(
        f"seed: {len(admins)} programmes submitted an assessment of {len(view.answers)} answers",
        file=sys.stderr,
    )


if __name__ == "__main__":
    use_piccolo_conf()
    asyncio.run(pooled(seed(sys.argv[1] if len(sys.argv) > 1 else None)))
