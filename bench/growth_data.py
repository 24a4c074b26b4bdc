"""Fill a database as ten years of use would: N proposals, 10 ballots and 5 comments each, written by
bulk SQL (INSERT ... SELECT over a series of numbers), not through the app, so that 100,000 proposals,
1,000,000 ballots and 500,000 comments take about a minute on SQLite and PostgreSQL alike.

Run by bench/growth.py before it starts the server (REFERENTIEL_DATABASE_URL names the database):
    python bench/growth_data.py --proposals 100000 SECRETS_FILE
The app itself writes the accounts and one proposal per theme (and one amendment), which the bulk
copies: each copy one minute older than the previous one, one in five withdrawn. The secrets file
receives what bench/seed.py gives (a reader's session cookie, the reader's and the author's tokens).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

os.environ.setdefault("REFERENTIEL_PASSWORD_HASHING", "fast")

from indicators.queries import all_theme_codes
from proposals.access import create_api_token, start_session
from proposals.accounts import register_account
from proposals.proposing import create_proposal
from proposals.roles import Role
from proposals.tables import Proposal
from server import use_piccolo_conf
from server.bootstrap import bootstrap
from server.settings import Settings

SLUG = "qualite-mentorat"
PASSWORD = "bench password, not secret"
BALLOTS, COMMENTS = 10, 5  # per proposal
NEW_INDICATOR = {
    "title": "Le binôme se fixe des objectifs",
    "statement": "Le programme aide chaque binôme à se fixer des objectifs partagés.",
    "rationale": "Des objectifs explicites soutiennent l'engagement.",
    "evidence_level": "practice",
}


def numbers(count: int, postgres: bool) -> str:
    """A common table expression g(n) of 1..count."""
    if postgres:
        return f"g(n) AS (SELECT generate_series(1, {count}))"
    return f"RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {count})"


def minutes_after_2020(expression: str, postgres: bool) -> str:
    """A moment `expression` minutes after 2020-01-01, written as the app writes it (SQLite: text)."""
    if postgres:
        return f"(TIMESTAMPTZ '2020-01-01 00:00:00+00' + ({expression}) * INTERVAL '1 minute')"
    seconds = f"'+' || (({expression}) * 60) || ' seconds'"
    return f"(strftime('%Y-%m-%d %H:%M:%S', '2020-01-01', {seconds}) || '+00:00')"


async def run(sql: str) -> float:
    started = time.monotonic()
    await Proposal.raw(sql)
    return time.monotonic() - started


async def generate(secrets_file: str, proposals: int) -> None:
    await bootstrap(Settings.from_env())
    postgres = Proposal._meta.db.engine_type == "postgres"
    author = (await register_account("author@bench.invalid", PASSWORD, "Autrice", role=Role.member)).actor
    reader = (await register_account("reader@bench.invalid", PASSWORD, "Lecteur")).actor
    voters = [
        (await register_account(f"voter{i}@bench.invalid", PASSWORD, f"Votant {i}")).actor.id
        for i in range(BALLOTS)
    ]
    rationale = "Pourquoi : **les retours de terrain** montrent que la formulation prête à confusion."
    templates = [
        (
            await create_proposal(
                author, SLUG, "add", "latest", f"Ajout {code}", rationale, theme=code, content=NEW_INDICATOR
            )
        ).id
        for code in await all_theme_codes()
    ]
    templates.append(
        (
            await create_proposal(
                author,
                SLUG,
                "amend",
                "latest",
                "Préciser REC-1",
                rationale,
                indicator="REC-1",
                content={"statement": "Énoncé révisé, plus précis sur la durée."},
            )
        ).id
    )
    first, count = templates[0], len(templates)
    assert templates == list(range(first, first + count)), "the templates' ids follow each other"
    copies = max(0, proposals - count)
    moment = minutes_after_2020("g.n", postgres)
    timings = {}
    timings["proposals"] = await run(f"""
        INSERT INTO proposal (framework, kind, status, change_class, author, base_release, theme,
            indicator_code, base_revision, title, rationale, rationale_html, content, revision,
            created_at, updated_at, vote_opened_at, last_call_ends_at, adaptation, closes_at,
            decided_at, tally, release)
        WITH {numbers(copies, postgres)}
        SELECT p.framework, p.kind, CASE WHEN g.n % 5 = 0 THEN 'withdrawn' ELSE 'discussion' END,
            p.change_class, p.author, p.base_release, p.theme, p.indicator_code, p.base_revision,
            p.title || ' n° ' || g.n, p.rationale, p.rationale_html, p.content, 1,
            {moment}, {moment}, NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM g JOIN proposal p ON p.id = {first} + g.n % {count}
        ORDER BY g.n""")
    voter_list = ", ".join(str(v) for v in voters)
    timings["ballots"] = await run(f"""
        INSERT INTO ballot (proposal, voter, choice, reason, cast_at)
        SELECT p.id, a.id, CASE (p.id + a.id) % 3 WHEN 0 THEN 'for' WHEN 1 THEN 'against' ELSE 'abstain' END,
            '', p.created_at
        FROM proposal p JOIN account a ON a.id IN ({voter_list})
        WHERE p.id >= {first + count}""")
    timings["comments"] = await run(f"""
        INSERT INTO comment (proposal, author, parent, body, body_html, created_at, hidden_at, hidden_by,
            hidden_reason)
        WITH {numbers(COMMENTS, postgres)}
        SELECT p.id, {reader.id}, NULL, 'Commentaire ' || g.n || ' : *d''accord*, mais la mesure ?',
            '<p>Commentaire ' || g.n || ' : <em>d''accord</em>, mais la mesure ?</p>', p.created_at,
            NULL, NULL, NULL
        FROM proposal p JOIN g ON 1 = 1
        WHERE p.id >= {first + count}""")
    if postgres:  # what autovacuum would do soon after: statistics, and the visibility map
        timings["vacuum analyze"] = await run("VACUUM ANALYZE")
    secrets = {
        "session": await start_session(reader.id),
        "reader_token": await create_api_token(reader.id),
        "author_token": await create_api_token(author.id),
    }
    with open(secrets_file, "w") as file:
        json.dump(secrets, file)
    written = {
        "proposals": await Proposal.count(),
        "ballots": (await Proposal.raw("SELECT count(*) AS n FROM ballot"))[0]["n"],
        "comments": (await Proposal.raw("SELECT count(*) AS n FROM comment"))[0]["n"],
    }
    spent = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
    print(f"growth data: {written} ({spent})", file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=1000)
    parser.add_argument("secrets_file")
    args = parser.parse_args()
    use_piccolo_conf()
    asyncio.run(generate(args.secrets_file, args.proposals))
