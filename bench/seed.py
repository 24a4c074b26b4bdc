"""Fill a database for the benchmark: 1,000 proposals, the first with 50 comments; 12 programmes
that submitted a self-assessment of every indicator of release 1.0.0 (so the indicator page shows
field evidence), the signed-in reader admin of the first (assessment 1, with evidence and actions).

With --big-framework N, also a framework of N indicators (`BIG_SLUG`: the starter's indicators
copied over ten themes) published as --releases releases, the first with every indicator, each
other amending one indicator, through the app's own publish_release; each publication's seconds
are kept ("big_framework" in the JSON).

Run by bench/run.py before it starts the server (REFERENTIEL_DATABASE_URL names the database). The
file named by its argument receives, as JSON, a signed-in reader's session cookie ("session") and
API tokens of that reader ("reader_token": may comment) and of the author ("author_token": a member,
may propose).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
import time

os.environ.setdefault("REFERENTIEL_PASSWORD_HASHING", "fast")

from indicators.publication import Change, ChangeKind, publish_release
from indicators.release_cache import ReleaseCache
from indicators.starter import indicator_text, load_document, read_document
from indicators.versions import Bump
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
BIG_SLUG = "grand-referentiel"
BIG_THEMES = 10
EVIDENCE = "Charte signée par **chaque mentor** ; voir le [compte rendu](https://example.org/cr) du comité."


async def seed(proposals: int = PROPOSALS) -> dict[str, str]:
    """The seeded reader's session cookie and API tokens (see above)."""
    await bootstrap(Settings.from_env())
    author = (await register_account("author@bench.invalid", PASSWORD, "Autrice", role=Role.member)).actor
    readers = [
        (await register_account(f"reader{i}@bench.invalid", PASSWORD, f"Lecteur {i}")).actor for i in range(5)
    ]
    for number in range(proposals):
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
    print(f"seed: {proposals} proposals, {COMMENTS} comments on proposal 1", file=sys.stderr)
    # A signed-in reader, whose pages are made for them (never shared).
    return {
        "session": await start_session(readers[0].id),
        "reader_token": await create_api_token(readers[0].id),
        "author_token": await create_api_token(author.id),
    }


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


def big_document(indicators: int) -> dict:
    """A framework of `indicators` indicators: the starter's texts, copied over BIG_THEMES themes."""
    starter = read_document()
    texts = [item for theme in starter["themes"] for item in theme["indicators"]]
    per_theme = -(-indicators // BIG_THEMES)
    themes = []
    for number in range(BIG_THEMES):
        code = f"T{number + 1:02d}"
        items = [
            {**texts[(number * per_theme + i) % len(texts)], "code": f"{code}-{i + 1}"}
            for i in range(min(per_theme, indicators - number * per_theme))
        ]
        themes.append({"code": code, "title_fr": f"Thème {number + 1}", "title_en": f"Theme {number + 1}"})
        themes[-1]["indicators"] = items
    meta = {**starter["framework"], "id": BIG_SLUG, "title_fr": "Grand référentiel", "version": "1.0.0"}
    return {**starter, "framework": meta, "themes": themes}


async def publish_big_framework(indicators: int, releases: int) -> dict:
    """The framework and its releases; the seconds each publication took, and the CPU seconds of this
    process (and of SQLite, in its threads) meanwhile."""
    document = big_document(indicators)
    began, cpu = time.perf_counter(), time.process_time()
    await load_document(document)
    seconds, cpu_seconds = [time.perf_counter() - began], [time.process_time() - cpu]
    items = [item for theme in document["themes"] for item in theme["indicators"]]
    for number in range(1, releases):
        item = items[number * 7 % len(items)]  # one indicator each time, spread over the themes
        statement = f"{item['statement_fr']} (révision {number})"
        text = dataclasses.replace(indicator_text(item), statement=statement)
        began, cpu = time.perf_counter(), time.process_time()
        await publish_release(
            BIG_SLUG, [Change(ChangeKind.amend, item["code"], text)], Bump.minor, f"Révision {number}"
        )
        seconds.append(time.perf_counter() - began)
        cpu_seconds.append(time.process_time() - cpu)
        if number % 20 == 0:
            print(f"seed: {number + 1} releases of {BIG_SLUG}", file=sys.stderr)
    return {"slug": BIG_SLUG, "publish_seconds": seconds, "publish_cpu_seconds": cpu_seconds}


async def main(args: argparse.Namespace) -> None:
    secrets: dict[str, object] = {**await seed(args.proposals)}
    if args.big_framework:
        secrets["big_framework"] = await publish_big_framework(args.big_framework, args.releases)
    if args.secrets:
        with open(args.secrets, "w") as file:
            json.dump(secrets, file)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Fill the database named by REFERENTIEL_DATABASE_URL.")
    parser.add_argument("secrets", nargs="?", help="JSON file to write the cookie, tokens and timings to")
    parser.add_argument("--proposals", type=int, default=PROPOSALS, help=f"at least 1 (default {PROPOSALS})")
    parser.add_argument("--big-framework", type=int, default=0, metavar="N", help="indicators (default none)")
    parser.add_argument("--releases", type=int, default=100, help="of the big framework (default 100)")
    use_piccolo_conf()
    asyncio.run(pooled(main(parser.parse_args())))
