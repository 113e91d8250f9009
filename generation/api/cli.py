"""Command-line subcommand ``tokens create|list|revoke`` for HTTP API tokens."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from generation import tokens
from generation.api.schemas import as_utc
from generation.queries import parse_id

Register = Callable[..., Callable[[Callable[[argparse.Namespace], int]], Any]]


def register_commands(command: Register) -> None:
    """Add ``tokens`` through the command line's ``command``."""
    command("tokens", "create, list or revoke HTTP API tokens", _configure_tokens)(
        tokens_command
    )


def _configure_tokens(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create", help="create a token and print it; it is shown only once"
    )
    create.add_argument(
        "--name", required=True, help="who uses the token, such as 'CMS export'"
    )
    create.add_argument("--json", action="store_true", help="print JSON")
    listing = actions.add_parser("list", help="list tokens with their last use")
    listing.add_argument("--json", action="store_true", help="print JSON")
    revoke = actions.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id", help="the id shown by 'tokens list'")


def tokens_command(args: argparse.Namespace) -> int:
    if args.action == "create":
        return _create(args)
    if args.action == "list":
        return _list(args)
    return _revoke(args)


def _create(args: argparse.Namespace) -> int:
    created = tokens.create_token(args.name)
    if args.json:
        print(
            json.dumps(
                {"id": created.id, "name": created.name, "token": created.secret}
            )
        )
    else:
        # The token alone goes to stdout so a script can capture it.
        print(created.secret)
        print(
            f"Token {created.id} '{created.name}' created. It is shown only now; "
            "store it where the program that uses it can read it.",
            file=sys.stderr,
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    rows = [
        {
            "id": row.id,
            "name": row.name,
            "prefix": row.prefix,
            "created_at": _iso(row.created_at),
            "last_used_at": _iso(row.last_used_at),
            "revoked_at": _iso(row.revoked_at),
        }
        for row in tokens.list_tokens()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No API tokens yet; create one with 'tokens create --name NAME'.")
        return 0
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        last_used = row["last_used_at"] or "never used"
        print(
            f"{row['id']:>4}  {row['prefix']}...  {row['name']:<24} "
            f"last used {last_used:<25} {state}"
        )
    return 0


def _revoke(args: argparse.Namespace) -> int:
    row = tokens.revoke_token(parse_id(args.token_id, what="token"))
    print(f"Token {row.id} '{row.name}' is revoked; requests with it now get 401.")
    return 0


def _iso(moment: datetime | None) -> str | None:
    moment = as_utc(moment)
    return moment.isoformat(timespec="seconds") if moment else None
