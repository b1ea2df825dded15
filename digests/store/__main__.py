"""Schema commands for release steps and development: ``python -m digests.store --help``.

The database URL comes from ``--url``, else from the bot's settings (``DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import sys

from digests.store.engine import normalize_url, safe_url
from digests.store.errors import StoreError
from digests.store.migrate import head_revision, run_command


def _database_url(given: str | None) -> str:
    if given:
        return given
    from config import load_settings  # only here: the store itself never reads settings

    return load_settings().database_url_value


def _next_revision_id() -> str | None:
    # Revisions are numbered 0001, 0002...: their order is visible in a directory listing.
    head = head_revision()
    return f"{int(head) + 1:04d}" if head.isdigit() else None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m digests.store",
        description="Apply or inspect the store's database migrations.",
    )
    parser.add_argument("--url", help="database URL (default: DATABASE_URL from the settings)")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("upgrade", help="apply migrations (default: to the newest)")
    up.add_argument("revision", nargs="?", default="head")
    up.add_argument("--sql", action="store_true", help="print the SQL instead of running it")
    down = commands.add_parser("downgrade", help="revert migrations down to a revision")
    down.add_argument("revision")
    commands.add_parser("current", help="show the revision the database is at")
    commands.add_parser("history", help="list the packaged migrations")
    new = commands.add_parser("revision", help="write a new migration file (for developers)")
    new.add_argument("-m", "--message", required=True)
    new.add_argument(
        "--autogenerate", action="store_true", help="diff the models against the database"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        url = normalize_url(_database_url(args.url)).render_as_string(hide_password=False)
        if args.command == "upgrade":
            run_command(url, "upgrade", args.revision, sql=args.sql)
        elif args.command == "downgrade":
            run_command(url, "downgrade", args.revision)
        elif args.command == "current":
            run_command(url, "current", verbose=True)
        elif args.command == "history":
            run_command(url, "history")
        else:
            run_command(
                url,
                "revision",
                message=args.message,
                autogenerate=args.autogenerate,
                rev_id=_next_revision_id(),
            )
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        # Driver messages name the host and user at most; the URL is printed masked.
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.command in ("upgrade", "downgrade") and not getattr(args, "sql", False):
        print(f"{args.command} done: {safe_url(url)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
