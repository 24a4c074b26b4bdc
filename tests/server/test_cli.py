"""The referentiel command, run as people run it, against the test database."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from piccolo.engine import engine_finder

from tests.conftest import ON_POSTGRES
from tests.constants import PASSWORD, SLUG
from tests.programmes.factories import make_programme, submitted_assessment
from tests.proposals.factories import make_account

pytestmark = pytest.mark.usefixtures("db")


def referentiel(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_export_in_every_format():
    as_json = referentiel("export", SLUG)
    assert as_json.returncode == 0, as_json.stderr
    release = json.loads(as_json.stdout)
    assert release["version"] == "1.0.0"
    assert release["themes"][0]["indicators"][0]["html_url"] == (
        "/frameworks/qualite-mentorat/releases/1.0.0/indicators/REC-1"
    )
    rows = list(csv.reader(io.StringIO(referentiel("export", SLUG, "--format", "csv").stdout)))
    assert len(rows) == 36 and rows[1][2] == "REC-1"
    markdown = referentiel("export", SLUG, "--release", "1.0.0", "--format", "md").stdout
    assert "### REC-1" in markdown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "nope"), "no framework called 'nope'"),
        (("export", SLUG, "--release", "7.0.0"), "no release 7.0.0"),
        (("export", SLUG, "--release", "seven"), "not a release number"),
    ],
)
def test_export_errors_are_one_clear_line(args: tuple[str, ...], message: str):
    result = referentiel(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_verify_passes_on_untouched_releases():
    result = referentiel("verify")
    assert result.returncode == 0, result.stderr
    assert "1 release(s) checked, 0 mismatch(es)" in result.stderr


async def test_verify_fails_loudly_when_a_release_was_tampered_with():
    engine = engine_finder()
    # Only someone with the database's own rights can do this: switch the guard off first.
    if ON_POSTGRES:
        await engine.run_ddl(
            "ALTER TABLE indicator_revision DISABLE TRIGGER indicator_revision_refuse_change"
        )
        await engine.run_ddl("UPDATE indicator_revision SET title = 'falsifié' WHERE id = 1")
        await engine.run_ddl("ALTER TABLE indicator_revision ENABLE TRIGGER indicator_revision_refuse_change")
    else:
        await engine.run_ddl("DROP TRIGGER indicator_revision_refuse_UPDATE")
        await engine.run_ddl("UPDATE indicator_revision SET title = 'falsifié' WHERE id = 1")
    result = referentiel("verify")
    assert result.returncode == 1
    assert "MISMATCH  qualite-mentorat 1.0.0" in result.stderr
    assert "1 mismatch(es)" in result.stderr


async def test_verify_recomputes_the_hash_of_each_submitted_assessment():
    admin = await make_account()
    assessment_id = await submitted_assessment(admin, await make_programme(admin))
    result = referentiel("verify")
    assert result.returncode == 0, result.stderr
    assert "1 submitted assessment(s) checked, 0 mismatch(es)" in result.stderr
    engine = engine_finder()
    tamper = f"UPDATE assessment_answer SET level = 'exemplary' WHERE assessment = {assessment_id}"
    if ON_POSTGRES:  # the guard switched off first, as only the database's owner could
        await engine.run_ddl("ALTER TABLE assessment_answer DISABLE TRIGGER assessment_answer_frozen")
        await engine.run_ddl(tamper)
        await engine.run_ddl("ALTER TABLE assessment_answer ENABLE TRIGGER assessment_answer_frozen")
    else:
        await engine.run_ddl("DROP TRIGGER assessment_answer_frozen_UPDATE")
        await engine.run_ddl(tamper)
    result = referentiel("verify")
    assert result.returncode == 1
    assert f"MISMATCH  assessment {assessment_id} (Mentorat Nord, release 1.0.0)" in result.stderr


def test_user_create_reads_the_password_from_stdin():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "server.cli",
            "user",
            "create",
            "--email",
            "Anne@Example.org",
            "--name",
            "Anne",
            "--role",
            "steward",
        ],
        input=f"{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "<anne@example.org> as steward" in result.stderr
    again = subprocess.run(
        [sys.executable, "-m", "server.cli", "user", "create", "--email", "anne@example.org", "--name", "A"],
        input=f"{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 2 and "exists already" in again.stderr
    weak = subprocess.run(
        [sys.executable, "-m", "server.cli", "user", "create", "--email", "b@example.org", "--name", "B"],
        input="short\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert weak.returncode == 2 and "at least 8 characters" in weak.stderr
