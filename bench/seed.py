"""Fill a database for the benchmark: 1,000 proposals, the first with 50 comments.

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

from proposals.access import create_api_token, start_session
from proposals.accounts import register_account
from proposals.discussion import add_comment
from proposals.proposing import create_proposal
from proposals.roles import Role
from server import use_piccolo_conf
from server.bootstrap import bootstrap
from server.settings import Settings

PROPOSALS = 1000
COMMENTS = 50
PASSWORD = "bench password, not secret"


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
    if secrets_file:  # a signed-in reader, whose pages are made for them (never shared)
        secrets = {
            "session": await start_session(readers[0].id),
            "reader_token": await create_api_token(readers[0].id),
            "author_token": await create_api_token(author.id),
        }
        with open(secrets_file, "w") as file:
            json.dump(secrets, file)
    print(f"seed: {PROPOSALS} proposals, {COMMENTS} comments on proposal 1", file=sys.stderr)


if __name__ == "__main__":
    use_piccolo_conf()
    asyncio.run(seed(sys.argv[1] if len(sys.argv) > 1 else None))
