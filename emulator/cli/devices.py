"""`push-emulator devices`: list, add, change and remove registered devices; read a device's
inbox, against a running server."""

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from emulator.cli.common import (
    client_of,
    connection_flags,
    filter_flags,
    filters_of,
    limit_flag,
    print_items,
    run,
    short_time,
)
from emulator.fanout.outcomes import OUTCOME_NAMES
from emulator.filters import DEVICE_FILTERS

DEVICE_HEADER = ["TOKEN", "APPLICATION", "CONTACT", "LANG", "STATUS", "OUTCOME", "ENGAGED"]
PUSH_HEADER = ["SHOWN (UTC)", "DELIVERY", "TRACKING ID", "LANG", "TITLE"]


def _device_row(item: Any) -> list[str]:
    return [
        item["token"],
        item["applicationId"],
        item["contactKey"] or "-",
        item["language"] or "-",
        item["status"],
        item["outcome"],
        "yes" if item["engaged"] else "no",
    ]


def _push_row(item: Any) -> list[str]:
    return [
        short_time(item["shownAt"]),
        str(item["deliveryId"]),
        item["trackingId"],
        item["language"] or "-",
        (item["title"] or "")[:40],
    ]


def list_command(args: argparse.Namespace) -> int:
    def action() -> None:
        given = filters_of(args, DEVICE_FILTERS)
        with client_of(args) as client:
            items = client.devices(**given, limit=args.limit)
        print_items(args, items, DEVICE_HEADER, _device_row, "No devices match.")

    return run(args, action)


def _read_records(source: str) -> Any:
    text = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise SystemExit(f"push-emulator: {source}: not valid JSON ({error})") from None


def add_command(args: argparse.Namespace) -> int:
    def action() -> None:
        data = _read_records(args.file)
        records = data if isinstance(data, list) else [data]
        with client_of(args) as client:
            added = client.add_devices(*records)
        print_items(args, added, DEVICE_HEADER, _device_row, "No devices added.")

    return run(args, action)


def set_command(args: argparse.Namespace) -> int:
    def action() -> None:
        changes = {
            name: getattr(args, name)
            for name in ("status", "outcome", "engaged", "language", "contact_key")
            if getattr(args, name) is not None
        }
        if not changes:
            raise SystemExit("push-emulator: devices set: name at least one change")
        with client_of(args) as client:
            changed = client.update_device(args.token, args.application_id, **changes)
        print_items(args, [changed], DEVICE_HEADER, _device_row, "")

    return run(args, action)


def remove_command(args: argparse.Namespace) -> int:
    def action() -> None:
        with client_of(args) as client:
            removed = client.delete_device(args.token, args.application_id)
        print(f"removed {removed['token']} ({removed['applicationId']})")

    return run(args, action)


def inbox_command(args: argparse.Namespace) -> int:
    def action() -> None:
        params = {"application_id": args.application_id, "limit": args.limit}
        with client_of(args) as client:
            items = client.device_inbox(args.token, **params)
        print_items(args, items, PUSH_HEADER, _push_row, "Nothing was shown on this device.")

    return run(args, action)


def _output_flags(parser: argparse.ArgumentParser) -> None:
    connection_flags(parser)
    parser.add_argument("--json", action="store_true", help="JSON instead of a table")


def _device_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("token", help="the device's token")
    parser.add_argument(
        "--application-id", help="its application, when the token is registered in several"
    )


def add_device_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """`devices` lists; `devices add|set|remove|inbox` do the rest."""
    devices = commands.add_parser(
        "devices",
        help="list registered devices (or: devices add|set|remove|inbox ...)",
        description="Without an action, list the registered devices.",
    )
    _output_flags(devices)
    filter_flags(devices, DEVICE_FILTERS)
    limit_flag(devices)
    devices.set_defaults(handler=list_command)
    actions = devices.add_subparsers(dest="action", metavar="ACTION")

    add = actions.add_parser("add", help="register devices from a JSON file (- for stdin)")
    _output_flags(add)
    add.add_argument("file", help="one devices.json record or an array of them")
    add.set_defaults(handler=add_command)

    change = actions.add_parser("set", help="change a device's status, outcome, ...")
    _output_flags(change)
    _device_flags(change)
    change.add_argument("--status", choices=["active", "unregistered"])
    change.add_argument("--outcome", choices=OUTCOME_NAMES)
    change.add_argument("--engaged", action=argparse.BooleanOptionalAction, default=None)
    change.add_argument("--language")
    change.add_argument("--contact-key")
    change.set_defaults(handler=set_command)

    remove = actions.add_parser("remove", help="remove a device")
    connection_flags(remove)
    _device_flags(remove)
    remove.set_defaults(handler=remove_command)

    inbox = actions.add_parser("inbox", help="what a device was shown, newest first")
    _output_flags(inbox)
    _device_flags(inbox)
    limit_flag(inbox)
    inbox.set_defaults(handler=inbox_command)
