"""The `referentiel` command. Each command talks to the database through a pool (web/database.py
`pooled`): on PostgreSQL, a connection per query would cost more than the query."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from dataclasses import replace
from datetime import UTC
from pathlib import Path

from indicators.downloads import DOWNLOADS
from indicators.queries import find_release, get_framework, load_release
from indicators.release_cache import ReleaseCache
from indicators.verification import check_adaptation_hashes, check_release_hashes
from programmes.verification import check_assessment_hashes
from proposals.accounts import register_account
from proposals.audit import check_chain
from proposals.roles import Role
from server import use_piccolo_conf
from server.backup import BackupError, backup, restore
from server.bootstrap import bootstrap, migrate
from server.mirror import MirrorError, Outcome, publish_site
from server.progress import Counter, Throttle
from server.settings import Settings, SettingsError, base_url
from web.cache import Cache, Generations
from web.database import pooled
from web.failures import DomainError


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    use_piccolo_conf()
    try:
        settings = Settings.from_env()
        return args.command(settings, args)
    except (SettingsError, DomainError, MirrorError) as error:
        print(f"referentiel: {error}", file=sys.stderr)
        return 2
    except BackupError as error:
        print(f"referentiel: {error}", file=sys.stderr)
        return error.exit_status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="referentiel", description="Référentiel vivant")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate, load the starter framework if empty, and serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(command=_serve)

    commands.add_parser("migrate", help="apply pending migrations").set_defaults(command=_migrate)

    export = commands.add_parser("export", help="write a release to standard output")
    export.add_argument("slug")
    export.add_argument("--release", default="latest", help="a version such as 1.0.0, or latest")
    export.add_argument("--format", choices=sorted(DOWNLOADS), default="json")
    export.set_defaults(command=_export)

    user = commands.add_parser("user", help="manage accounts")
    user_commands = user.add_subparsers(required=True, metavar="ACTION")
    create = user_commands.add_parser(
        "create", help="create an account; the password comes from stdin or REFERENTIEL_PASSWORD"
    )
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True, help="display name")
    create.add_argument("--role", choices=[role.value for role in Role], default=Role.practitioner.value)
    create.add_argument("--organisation", default="")
    create.add_argument("--territory", default="")
    create.set_defaults(command=_create_user)

    verify = commands.add_parser(
        "verify", help="recompute the content hash of every release and check the audit log's hash chain"
    )
    verify.set_defaults(command=_verify)

    backup_command = commands.add_parser(
        "backup", help="write a consistent copy of the database into FILE, even while the server runs"
    )
    backup_command.add_argument("file", type=Path, metavar="FILE")
    backup_command.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    backup_command.set_defaults(command=_backup)

    restore_command = commands.add_parser(
        "restore", help="restore a backup FILE into an empty database, then verify it"
    )
    restore_command.add_argument("file", type=Path, metavar="FILE")
    restore_command.set_defaults(command=_restore)

    publish = commands.add_parser(
        "publish-site",
        help="write every published release into DIR as a static site (only the files that changed)",
    )
    publish.add_argument("folder", type=Path, metavar="DIR")
    publish.add_argument(
        "--base-url", help="the address the site's absolute links start with (default REFERENTIEL_BASE_URL)"
    )
    publish.set_defaults(command=_publish_site)
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    # The workers read their settings from this environment: the public address defaults to where
    # this server listens.
    if not os.environ.get("REFERENTIEL_BASE_URL"):
        host = f"[{args.host}]" if ":" in args.host else args.host
        os.environ["REFERENTIEL_BASE_URL"] = f"http://{host}:{args.port}"
    # Migrate once, before the workers start: workers migrating together would race.
    release = asyncio.run(pooled(bootstrap(settings, verbose=True)))
    if release is not None:
        print(f"Loaded the starter framework as release {release.version}.", file=sys.stderr)
    print(f"Serving on http://{args.host}:{args.port}/ with {args.workers} worker(s).", file=sys.stderr)
    Granian(
        "server.app:create_app",
        factory=True,
        address=args.host,
        port=args.port,
        workers=args.workers,
        interface=Interfaces.ASGI,
    ).serve()
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(pooled(migrate(settings, verbose=True)))
    return 0


def _require_database(settings: Settings) -> None:
    """Reading commands never create a database: a mistyped path is an error, not an empty file."""
    if settings.is_sqlite and not settings.sqlite_path.exists():
        raise SettingsError(f"there is no database at {settings.sqlite_path} (REFERENTIEL_DATABASE_URL)")


def _create_user(settings: Settings, args: argparse.Namespace) -> int:
    # Never from the command line: it would stay in the shell's history and in `ps`.
    password = os.environ.get("REFERENTIEL_PASSWORD")
    if password is None:
        if sys.stdin.isatty():
            password = getpass.getpass("Password: ")
        else:
            password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")

    async def run() -> str:
        await bootstrap(settings)
        account = await register_account(
            args.email, password, args.name, args.organisation, args.territory, role=Role(args.role)
        )
        return f"Created account {account.id} <{account.email}> as {account.role.value}."

    print(asyncio.run(pooled(run())), file=sys.stderr)
    return 0


def _export(settings: Settings, args: argparse.Namespace) -> int:
    _require_database(settings)

    async def run() -> str:
        await migrate(settings)
        framework = await get_framework(args.slug)
        release = await load_release(framework, await find_release(framework, args.release))
        _media_type, make = DOWNLOADS[args.format]
        return make(framework, release, "")

    sys.stdout.write(asyncio.run(pooled(run())))
    return 0


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _verify(settings: Settings, args: argparse.Namespace) -> int:
    _require_database(settings)
    return asyncio.run(pooled(_verify_database(settings)))


async def _verify_database(settings: Settings) -> int:
    await migrate(settings)
    checked = failed = 0
    async for check in check_release_hashes():
        checked += 1
        if check.ok:
            print(f"ok        {check.framework} {check.version}  {check.stored}", file=sys.stderr)
        else:
            failed += 1
            print(
                f"MISMATCH  {check.framework} {check.version}: stored {check.stored}, "
                f"content hashes to {check.computed}",
                file=sys.stderr,
            )
    print(f"{checked} release(s) checked, {failed} mismatch(es).", file=sys.stderr)
    if checked == 0:
        print("No release to check: is REFERENTIEL_DATABASE_URL the right database?", file=sys.stderr)
    failed += await _verify_assessments()
    adaptations = await check_adaptation_hashes()
    for check in adaptations:
        if check.ok:
            _say(f"ok        adaptation {check.adaptation} version {check.version}  {check.stored}")
        else:
            failed += 1
            _say(
                f"MISMATCH  adaptation {check.adaptation} version {check.version}: stored {check.stored}, "
                f"content hashes to {check.computed}"
            )
    _say(
        f"{len(adaptations)} adaptation version(s) checked, "
        f"{sum(not check.ok for check in adaptations)} mismatch(es)."
    )

    chain = {"entries": 0, "head": ""}
    throttle = Throttle()

    def progress(entries: int, head: str) -> None:
        chain.update(entries=entries, head=head)
        if throttle.due():
            _say(f"audit log: {entries} entries checked...")

    broken = await check_chain(progress)
    if broken is not None:
        at = broken.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        _say(f"BROKEN    audit log entry {broken.id} ({broken.action}, {at}): {broken.reason}.")
        _say(f"The audit log's hash chain is broken at entry {broken.id}.")
    else:
        _say(
            f"ok        audit log: {chain['entries']} entries, hash chain intact, head {chain['head'] or '-'}"
        )
    return 1 if failed or checked == 0 or broken is not None else 0


async def _verify_assessments() -> int:
    """Each submitted self-assessment's hash recomputed; returns the number of mismatches."""
    releases = ReleaseCache(Cache(Generations(), max_entries=64, max_bytes=64 * 1_048_576, ttl=None))
    checked = failed = 0
    async for check in check_assessment_hashes(releases):
        checked += 1
        if not check.ok:
            failed += 1
            _say(
                f"MISMATCH  assessment {check.id} ({check.programme}, release {check.release}): "
                f"stored {check.stored}, content hashes to {check.computed}"
            )
    _say(f"{checked} submitted assessment(s) checked, {failed} mismatch(es).")
    return failed


def _size(count: int) -> str:
    return f"{count / 1_048_576:.1f} MiB" if count >= 1_048_576 else f"{count / 1024:.0f} KiB"


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    outcome = backup(settings, args.file, _say, overwrite=args.overwrite)
    rows = f", {outcome.rows} rows in {len(outcome.tables)} tables" if outcome.tables else ""
    _say(f"Backed up to {outcome.path} ({_size(outcome.bytes)}{rows}) in {outcome.seconds:.1f} s.")
    return 0


def _restore(settings: Settings, args: argparse.Namespace) -> int:
    outcome = restore(settings, args.file, _say)
    _say(
        f"Restored {outcome.rows} rows in {len(outcome.tables)} tables from {outcome.path} "
        f"in {outcome.seconds:.1f} s. Verifying the restored database:"
    )
    status = asyncio.run(pooled(_verify_database(settings)))
    if status != 0:
        _say("The restored database does not verify: do not serve it; see the lines above.")
    return status


def _publish_site(settings: Settings, args: argparse.Namespace) -> int:
    if args.base_url is not None:
        try:
            settings = replace(settings, base_url=base_url(args.base_url))
        except SettingsError:
            raise SettingsError(
                f"--base-url {args.base_url!r}: write the site's public address, e.g. https://referentiel.example.org"
            ) from None
    _require_database(settings)
    counter = Counter("publish-site: files", sys.stderr)

    def progress(done: int, total: int, written: int) -> None:
        counter.update(done, total, f"{written:,} written")

    async def run() -> Outcome:
        await migrate(settings)
        return await publish_site(settings, args.folder, progress)

    try:
        outcome = asyncio.run(run())
    finally:
        counter.close()
    _say(
        f"Published {outcome.total:,} files into {outcome.folder} for {settings.base_url} "
        f"in {outcome.seconds:.1f} s: {outcome.written:,} written, {outcome.unchanged:,} unchanged."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
