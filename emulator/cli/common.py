"""What the commands against a running server share: connection flags, errors, tables."""

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from emulator.filters import Filter
from emulator.urls import DEFAULT_URL, default_url

if TYPE_CHECKING:
    from emulator.client import EmulatorClient, SendItem

# A full tracking id; anything shorter is the start of one, as the inbox shows it.
TRACKING_ID_LENGTH = 36


def connection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=default_url(),
        help=f"the running emulator [env PUSH_EMULATOR_URL; default {DEFAULT_URL}, or "
        "http://127.0.0.1:$EMULATOR_PORT]",
    )
    parser.add_argument(
        "--admin-token",
        default=os.environ.get("EMULATOR_ADMIN_TOKEN"),
        help="the server's admin token, if it has one [env EMULATOR_ADMIN_TOKEN]",
    )


def filter_flags(parser: argparse.ArgumentParser, filters: Sequence[Filter]) -> None:
    for f in filters:
        parser.add_argument(f.flag, dest=f.keyword, help=f.help)


def client_of(args: argparse.Namespace) -> "EmulatorClient":
    # Imported here: `serve` builds the same parser and needs none of the client's HTTP stack.
    from emulator.client import EmulatorClient

    return EmulatorClient(args.url, admin_token=args.admin_token)


def run(args: argparse.Namespace, action: Callable[[], int | None]) -> int:
    """The action's exit code (0 if it gives none); one line on stderr naming the URL for
    the usual failures, instead of a traceback."""
    import httpx

    from emulator.client import EmulatorError

    try:
        return action() or 0
    except EmulatorError as error:
        raise SystemExit(f"push-emulator: {args.url} answered {error}") from None
    except httpx.HTTPError as error:
        raise SystemExit(
            f"push-emulator: cannot reach the emulator at {args.url}: {error}"
        ) from None


def filters_of(args: argparse.Namespace, filters: Sequence[Filter]) -> dict[str, Any]:
    return {f.keyword: getattr(args, f.keyword) for f in filters if getattr(args, f.keyword)}


def resolve_tracking_id(client: "EmulatorClient", given: dict[str, Any]) -> dict[str, Any]:
    """A short tracking id (the inbox's prefix) as the one full id that starts with it."""
    short = given.get("tracking_id")
    if short and len(short) < TRACKING_ID_LENGTH:
        return {**given, "tracking_id": client.send(short)["trackingId"]}
    return given


def print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def print_items(
    args: argparse.Namespace,
    items: Sequence[Any],
    header: list[str],
    row: Callable[[Any], list[str]],
    nothing: str,
) -> None:
    """Items as JSON with --json, else as a table (or one line saying there are none)."""
    if args.json:
        print_json(items)
        return
    rows = [row(item) for item in items]
    print(table(rows, header) if rows else nothing)


def short_time(value: str | None) -> str:
    return (value or "")[:19].replace("T", " ")


SEND_HEADER = [
    "RECEIVED (UTC)", "STATUS", "KIND", "TRACKING ID", "API USER", "DELIV", "WARN", "TITLE"
]  # fmt: skip


def send_row(item: "SendItem") -> list[str]:
    shown = item["notification"]
    return [
        short_time(item["receivedAt"]),
        item["status"],
        item["kind"],
        item["trackingId"],
        item["apiUser"],
        str(item["deliveryCount"]),
        str(len(item["warnings"])),
        str(shown.get("title") or shown.get("message") or "")[:40],
    ]
