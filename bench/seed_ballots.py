"""Fill a database for the ballots benchmark: a working group answering for the theme REC with
`voters` members, each with an API token, and `proposals` proposals of that theme in voting.

Run by bench/ballots.py before it starts the server (REFERENTIEL_DATABASE_URL names the database):
`seed_ballots.py SECRETS_FILE VOTERS PROPOSALS`. SECRETS_FILE receives, as JSON, the voters' tokens
("tokens") and account ids ("voters"), in the same order, and the proposals' numbers ("proposals").
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

os.environ.setdefault("REFERENTIEL_PASSWORD_HASHING", "fast")

from proposals.access import create_api_token
from proposals.accounts import register_account
from proposals.proposing import create_proposal
from proposals.roles import Role
from proposals.voting import open_vote
from proposals.working_groups import add_member, create_working_group
from server import use_piccolo_conf
from server.bootstrap import bootstrap
from server.settings import Settings
from web.database import close_pool, open_pool

PASSWORD = "bench password, not secret"


async def seed(secrets_file: str, voters: int, proposals: int) -> None:
    await bootstrap(Settings.from_env())
    await open_pool()
    try:
        steward = (
            await register_account("steward@bench.invalid", PASSWORD, "Steward", role=Role.steward)
        ).actor
        group = await create_working_group(steward, "qualite-mentorat", "GT banc d'essai", ["REC"])
        tokens, ids = [], []
        for number in range(voters):
            voter = await register_account(
                f"voter{number}@bench.invalid", PASSWORD, f"Votant {number}", role=Role.member
            )
            await add_member(steward, group.id, voter.id)
            tokens.append(await create_api_token(voter.id))
            ids.append(voter.id)
            if number % 100 == 99:
                print(f"seed: {number + 1} voters", file=sys.stderr)
        numbers = []
        for number in range(proposals):
            code = f"REC-{number % 4 + 1}"
            proposal = await create_proposal(
                steward,
                "qualite-mentorat",
                "amend",
                "latest",
                f"Proposition {number}: préciser {code}",
                "Les retours de terrain montrent que la formulation prête à confusion.",
                indicator=code,
                content={"statement": f"Énoncé révisé numéro {number}."},
            )
            await open_vote(steward, proposal.id)
            numbers.append(proposal.id)
    finally:
        await close_pool()
    with open(secrets_file, "w") as file:
        json.dump({"tokens": tokens, "voters": ids, "proposals": numbers}, file)
    print(f"seed: {voters} voters with tokens, {proposals} proposals in voting", file=sys.stderr)


if __name__ == "__main__":
    use_piccolo_conf()
    asyncio.run(seed(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
