"""CLI commands against a running emulator: `sends`, `requests`, `reset`, `export`."""

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import orjson

from emulator.client import DEFAULT_URL, EmulatorClient, EmulatorError, default_url
from emulator.filters import REQUEST_FILTERS, SEND_FILTERS, Filter


def _connection_flags(parser: argparse.ArgumentParser) -> None:
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


def _client(args: argparse.Namespace) -> EmulatorClient:
    return EmulatorClient(args.url, admin_token=args.admin_token)


def _filters(args: argparse.Namespace, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def _short_time(value: str | None) -> str:
    return (value or "")[:19].replace("T", " ")


def _title(content: dict[str, Any]) -> str:
    if "content" in content:
        return str(content["content"].get("title") or content["content"].get("message") or "")
    contents = content.get("multiLangContent", {}).get("contents", [])
    return str(contents[0].get("title") or "") if contents else ""


def _run(action: Callable[[], None]) -> int:
    """One line on stderr for the usual failures, instead of a traceback."""
    try:
        action()
    except EmulatorError as error:
        raise SystemExit(f"push-emulator: the emulator answered {error}") from None
    except httpx.HTTPError as error:
        raise SystemExit(f"push-emulator: cannot reach the emulator: {error}") from None
    return 0


def _print_items(
    args: argparse.Namespace,
    items: Sequence[Any],
    header: list[str],
    row: Callable[[Any], list[str]],
    nothing: str,
) -> None:
    """Items as JSON with --json, else as a table (or one line saying there are none)."""
    if args.json:
        sys.stdout.write(orjson.dumps(items, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    rows = [row(item) for item in items]
    print(_table(rows, header) if rows else nothing)


def _send_row(item: Any) -> list[str]:
    return [
        _short_time(item["receivedAt"]),
        item["status"],
        item["kind"],
        item["trackingId"],
        item["apiUser"],
        str(item["deliveryCount"]),
        str(len(item["warnings"])),
        _title(item["content"])[:40],
    ]


def _request_row(item: Any) -> list[str]:
    return [
        _short_time(item["receivedAt"]),
        item["method"],
        item["path"],
        str(item["status"]),
        item["apiUser"] or "-",
        (item["error"] or "")[:50],
    ]


SEND_HEADER = [
    "RECEIVED (UTC)", "STATUS", "KIND", "TRACKING ID", "API USER", "DELIV", "WARN", "TITLE"
]  # fmt: skip
REQUEST_HEADER = ["RECEIVED (UTC)", "METHOD", "PATH", "STATUS", "API USER", "ERROR"]


def _list_command(
    fetch: Callable[[EmulatorClient], Callable[..., Sequence[Any]]],
    filters: Sequence[Filter],
    header: list[str],
    row: Callable[[Any], list[str]],
    nothing: str,
) -> Callable[[argparse.Namespace], int]:
    """A command that lists what `fetch` reads, filtered by the flags of `filters`."""

    def command(args: argparse.Namespace) -> int:
        def action() -> None:
            given = _filters(args, [f.keyword for f in filters])
            with _client(args) as client:
                items = fetch(client)(**given, limit=args.limit)
            _print_items(args, items, header, row, nothing)

        return _run(action)

    return command


sends_command = _list_command(
    lambda c: c.sends, SEND_FILTERS, SEND_HEADER, _send_row, "No sends match."
)
requests_command = _list_command(
    lambda c: c.requests, REQUEST_FILTERS, REQUEST_HEADER, _request_row, "No requests match."
)


def reset_command(args: argparse.Namespace) -> int:
    def action() -> None:
        with _client(args) as client:
            client.reset()
        print(f"reset {args.url}")

    return _run(action)


def _ndjson(items: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    for item in items:
        yield orjson.dumps(item) + b"\n"


def export_command(args: argparse.Namespace) -> int:
    def action() -> None:
        filters = _filters(args, [f.keyword for f in SEND_FILTERS])
        with _client(args) as client:
            out = sys.stdout.buffer
            for line in _ndjson(client.export(**filters)):
                out.write(line)
            out.flush()

    return _run(action)


def _filter_flags(parser: argparse.ArgumentParser, filters: Sequence[Filter]) -> None:
    for f in filters:
        parser.add_argument(f.flag, dest=f.keyword, help=f.help)


def add_client_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register the commands that talk to a running server."""
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
        _connection_flags(listing)
        _filter_flags(listing, filters)
        listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
        listing.add_argument("--json", action="store_true", help="JSON instead of a table")
        listing.set_defaults(handler=handler)

    reset = commands.add_parser("reset", help="clear recorded data and reload the fixtures")
    _connection_flags(reset)
    reset.set_defaults(handler=reset_command)

    export = commands.add_parser("export", help="sends with deliveries as NDJSON, oldest first")
    _connection_flags(export)
    _filter_flags(export, SEND_FILTERS)
    export.set_defaults(handler=export_command)
