"""CLI commands against a running emulator: `sends`, `requests`, `reset`, `export`."""

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import orjson

from emulator.client import DEFAULT_URL, EmulatorClient, EmulatorError

# Flag, dest and help of each sends filter; dest is the client's keyword.
SEND_FILTERS = [
    ("--tracking-id", "tracking_id", "a send's tracking id"),
    ("--application-id", "application_id", "an application the send targets"),
    ("--segment-id", "segment_id", "the send's segment"),
    ("--table-id", "table_id", "the send's contact table"),
    ("--template-id", "template_id", "a template the send used"),
    ("--status", "status", "Queued, Scheduled, Sending or Completed"),
    ("--contact-key", "contact_key", "a recipient's contact key"),
    ("--token", "token", "a recipient's device token"),
    ("--api-user", "api_user", "the API user that sent it"),
    ("--text", "q", "text in a title or message"),
    ("--since", "since", "received at or after (ISO 8601, UTC)"),
    ("--until", "until", "received before (ISO 8601, UTC)"),
]


def _default_url() -> str:
    # Like `healthcheck`: inside the server's container EMULATOR_PORT names its port.
    port = os.environ.get("EMULATOR_PORT")
    return os.environ.get("PUSH_EMULATOR_URL") or (
        f"http://127.0.0.1:{port}" if port else DEFAULT_URL
    )


def _connection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=_default_url(),
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


def sends_command(args: argparse.Namespace) -> int:
    def action() -> None:
        filters = _filters(args, [dest for _, dest, _ in SEND_FILTERS])
        with _client(args) as client:
            items = client.sends(**filters, limit=args.limit)
        if args.json:
            sys.stdout.write(orjson.dumps(items, option=orjson.OPT_INDENT_2).decode() + "\n")
            return
        rows = [
            [
                _short_time(i["receivedAt"]),
                i["status"],
                i["trackingId"],
                i["apiUser"],
                str(i["deliveryCount"]),
                str(len(i["warnings"])),
                _title(i["content"])[:40],
            ]
            for i in items
        ]
        header = ["RECEIVED (UTC)", "STATUS", "TRACKING ID", "API USER", "DELIV", "WARN", "TITLE"]
        print(_table(rows, header) if rows else "No sends match.")

    return _run(action)


def requests_command(args: argparse.Namespace) -> int:
    def action() -> None:
        filters = _filters(args, ["status", "path", "api_user", "since"])
        with _client(args) as client:
            items = client.requests(**filters, limit=args.limit)
        if args.json:
            sys.stdout.write(orjson.dumps(items, option=orjson.OPT_INDENT_2).decode() + "\n")
            return
        rows = [
            [
                _short_time(i["receivedAt"]),
                i["method"],
                i["path"],
                str(i["status"]),
                i["apiUser"] or "-",
                (i["error"] or "")[:50],
            ]
            for i in items
        ]
        header = ["RECEIVED (UTC)", "METHOD", "PATH", "STATUS", "API USER", "ERROR"]
        print(_table(rows, header) if rows else "No requests match.")

    return _run(action)


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
        filters = _filters(args, [dest for _, dest, _ in SEND_FILTERS])
        with _client(args) as client:
            out = sys.stdout.buffer
            for line in _ndjson(client.export(**filters)):
                out.write(line)
            out.flush()

    return _run(action)


def add_client_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register the commands that talk to a running server."""
    sends = commands.add_parser("sends", help="list recorded sends, newest first")
    _connection_flags(sends)
    for flag, dest, help_text in SEND_FILTERS:
        sends.add_argument(flag, dest=dest, help=help_text)
    sends.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    sends.add_argument("--json", action="store_true", help="JSON instead of a table")
    sends.set_defaults(handler=sends_command)

    requests = commands.add_parser("requests", help="list journaled /rest requests, newest first")
    _connection_flags(requests)
    requests.add_argument("--status", help="an HTTP status (429) or a class (4xx)")
    requests.add_argument("--path", help="a request path, e.g. /rest/push/sendInstant")
    requests.add_argument("--api-user", dest="api_user", help="the API user named")
    requests.add_argument("--since", help="received at or after (ISO 8601, UTC)")
    requests.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    requests.add_argument("--json", action="store_true", help="JSON instead of a table")
    requests.set_defaults(handler=requests_command)

    reset = commands.add_parser("reset", help="clear recorded data and reload the fixtures")
    _connection_flags(reset)
    reset.set_defaults(handler=reset_command)

    export = commands.add_parser("export", help="sends with deliveries as NDJSON, oldest first")
    _connection_flags(export)
    for flag, dest, help_text in SEND_FILTERS:
        export.add_argument(flag, dest=dest, help=help_text)
    export.set_defaults(handler=export_command)
