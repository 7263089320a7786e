"""CLI commands against a running emulator: `sends`, `requests`, `show`, `reset`, `export`."""

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from emulator.cli.common import (
    SEND_HEADER,
    client_of,
    connection_flags,
    filter_flags,
    filters_of,
    print_items,
    print_json,
    resolve_tracking_id,
    run,
    send_row,
    short_time,
)
from emulator.filters import DEFAULT_LIMIT, REQUEST_FILTERS, SEND_FILTERS, Filter

if TYPE_CHECKING:
    from emulator.client import EmulatorClient


def _request_row(item: Any) -> list[str]:
    return [
        short_time(item["receivedAt"]),
        item["method"],
        item["path"],
        str(item["status"]),
        item["apiUser"] or "-",
        (item["error"] or "")[:50],
    ]


REQUEST_HEADER = ["RECEIVED (UTC)", "METHOD", "PATH", "STATUS", "API USER", "ERROR"]


def _list_command(
    fetch: Callable[["EmulatorClient", dict[str, Any], int], Sequence[Any]],
    filters: Sequence[Filter],
    header: list[str],
    row: Callable[[Any], list[str]],
    nothing: str,
) -> Callable[[argparse.Namespace], int]:
    """A command that lists what `fetch` reads, filtered by the flags of `filters`; the
    client pages through as many pages as --limit asks for."""

    def command(args: argparse.Namespace) -> int:
        def action() -> None:
            with client_of(args) as client:
                items = fetch(client, filters_of(args, filters), args.limit)
            print_items(args, items, header, row, nothing)

        return run(args, action)

    return command


sends_command = _list_command(
    lambda c, given, limit: c.sends(**resolve_tracking_id(c, given), limit=limit),
    SEND_FILTERS,
    SEND_HEADER,
    send_row,
    "No sends match.",
)
requests_command = _list_command(
    lambda c, given, limit: c.requests(**given, limit=limit),
    REQUEST_FILTERS,
    REQUEST_HEADER,
    _request_row,
    "No requests match.",
)


def show_command(args: argparse.Namespace) -> int:
    def action() -> None:
        with client_of(args) as client:
            print_json(client.send(args.tracking_id))

    return run(args, action)


def reset_command(args: argparse.Namespace) -> int:
    def action() -> None:
        with client_of(args) as client:
            client.reset(keep_tokens=args.keep_tokens)
        print(f"reset {args.url}")

    return run(args, action)


def export_command(args: argparse.Namespace) -> int:
    def action() -> None:
        with client_of(args) as client:
            out = sys.stdout.buffer
            for item in client.export(
                **resolve_tracking_id(client, filters_of(args, SEND_FILTERS))
            ):
                out.write(orjson.dumps(item) + b"\n")
            out.flush()

    return run(args, action)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


def add_client_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register the commands that read and reset a running server."""
    listings = (
        ("sends", "list recorded sends, newest first", SEND_FILTERS, sends_command),
        (
            "requests",
            "list journaled /rest requests, newest first",
            REQUEST_FILTERS,
            requests_command,
        ),
    )
    for name, help_text, filters, handler in listings:
        listing = commands.add_parser(name, help=help_text)
        connection_flags(listing)
        filter_flags(listing, filters)
        listing.add_argument(
            "--limit",
            type=_positive,
            default=DEFAULT_LIMIT,
            help=f"at most this many, paging as far as it takes (default {DEFAULT_LIMIT})",
        )
        listing.add_argument("--json", action="store_true", help="JSON instead of a table")
        listing.set_defaults(handler=handler)

    show = commands.add_parser("show", help="one send with its deliveries, as JSON")
    connection_flags(show)
    show.add_argument(
        "tracking_id", help="a tracking id, its start as the inbox shows it, or a transaction id"
    )
    show.set_defaults(handler=show_command)

    reset = commands.add_parser("reset", help="clear recorded data and reload the fixtures")
    connection_flags(reset)
    reset.add_argument(
        "--keep-tokens", action="store_true", help="keep access tokens from /rest/login valid"
    )
    reset.set_defaults(handler=reset_command)

    export = commands.add_parser("export", help="sends with deliveries as NDJSON, oldest first")
    connection_flags(export)
    filter_flags(export, SEND_FILTERS)
    export.set_defaults(handler=export_command)
