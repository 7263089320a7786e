"""`push-emulator tail`: the live event stream of a running emulator, one line per event."""

import argparse
import sys
from datetime import UTC, datetime

import orjson

from emulator.cli.common import client_of, connection_flags, run
from emulator.events import STREAMED_KINDS


def _line(kind: str, data: dict[str, object]) -> str:
    now = datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]
    fields = " ".join(f"{key}={value}" for key, value in data.items())
    return f"{now} {kind:<11} {fields}".rstrip()


def tail_command(args: argparse.Namespace) -> int:
    def action() -> None:
        with client_of(args) as client:
            events = client.events(kinds=args.kinds)
            try:
                for event in events:
                    if args.json:
                        line = orjson.dumps({"event": event.kind, "data": event.data}).decode()
                    else:
                        line = _line(event.kind, event.data)
                    print(line, flush=True)  # a pipe gets each event as it happens
            except KeyboardInterrupt:
                return
        print("push-emulator: the event stream ended (the server stopped)", file=sys.stderr)

    return run(args, action)


def add_tail_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "tail", help="follow the event stream (requests, sends, status changes...) as lines"
    )
    connection_flags(parser)
    parser.add_argument(
        "--kinds", help=f"comma-separated, of {', '.join(STREAMED_KINDS)} (default: all)"
    )
    parser.add_argument("--json", action="store_true", help='one {"event", "data"} per line')
    parser.set_defaults(handler=tail_command)
