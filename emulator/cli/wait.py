"""`push-emulator wait`: exit 0 once N matching sends arrived, 1 with the near misses."""

import argparse
import sys

from emulator.cli.common import (
    SEND_HEADER,
    client_of,
    connection_flags,
    filter_flags,
    filters_of,
    print_items,
    resolve_tracking_id,
    run,
    send_row,
)
from emulator.filters import SEND_FILTERS


def wait_command(args: argparse.Namespace) -> int:
    from emulator.client import WaitTimeout

    def action() -> int:
        with client_of(args) as client:
            given = resolve_tracking_id(client, filters_of(args, SEND_FILTERS))
            try:
                items = client.wait_for_sends(count=args.count, timeout=args.timeout, **given)
            except WaitTimeout as timeout:
                print(f"push-emulator: {timeout}", file=sys.stderr)
                return 1
        print_items(args, items, SEND_HEADER, send_row, "No sends match.")
        return 0

    return run(args, action)


def add_wait_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "wait",
        help="wait for matching sends to complete (or reach --status)",
        description="Exit 0 once --count matching sends are Completed (or in the --status "
        "given), listing them; exit 1 after --timeout seconds, listing the near misses.",
    )
    connection_flags(parser)
    filter_flags(parser, SEND_FILTERS)
    parser.add_argument("--count", type=int, default=1, help="how many sends (default 1)")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds, at most 120 (default 10)"
    )
    parser.add_argument("--json", action="store_true", help="JSON instead of a table")
    parser.set_defaults(handler=wait_command)
