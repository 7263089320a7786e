"""`push-emulator faults` and `push-emulator clock`: how a running emulator behaves."""

import argparse
from typing import TYPE_CHECKING, Any

from emulator.cli.common import client_of, connection_flags, print_json, run, table
from emulator.cli.send import read_json

if TYPE_CHECKING:
    from emulator.client import ClockState, FaultState

FAULT_HEADER = ["ID", "NAME", "MATCH", "ACTION", "TRIGGER", "FIRED", "LEFT", "ACTIVE"]


def _fields(part: dict[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in part.items()) or "-"


def _fault_row(state: "FaultState") -> list[str]:
    rule = state["rule"]
    return [
        str(state["id"]),
        str(rule.get("name") or "-"),
        _fields(rule.get("match", {})),
        _fields(rule["action"]),
        _fields(rule.get("trigger", {})),
        str(state["fired"]),
        "-" if state["remaining"] is None else str(state["remaining"]),
        "yes" if state["active"] else "no",
    ]


def faults_command(args: argparse.Namespace) -> int:
    def action() -> None:
        with client_of(args) as client:
            if args.action == "set":
                states = client.faults.set(read_json(args.source))
            elif args.action == "add":
                states = [client.faults.add(read_json(args.source))]
            elif args.action == "remove":
                states = client.faults.remove(args.id)
            elif args.action == "clear":
                client.faults.clear()
                states = []
            else:
                states = client.faults.list()
        if args.json:
            print_json(states)
        else:
            rows = [_fault_row(state) for state in states]
            print(table(rows, FAULT_HEADER) if rows else "No fault rules are in force.")

    return run(args, action)


def _seconds(value: str) -> float:
    """90, 90s, 30m, 24h or 7d, with a sign for an offset into the past."""
    from emulator.settings import parse_duration

    sign, digits = (-1, value[1:]) if value.startswith("-") else (1, value)
    try:
        return sign * float(str(parse_duration(digits)))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _show_clock(state: "ClockState") -> str:
    offset = f" (offset {state['offsetSeconds']:g} s)" if state["mode"] == "offset" else ""
    return f"{state['mode']}: {state['now']}{offset}"


def clock_command(args: argparse.Namespace) -> int:
    def action() -> None:
        with client_of(args) as client:
            if args.action == "freeze":
                state = client.clock.freeze(args.at)
            elif args.action == "advance":
                state = client.clock.advance(args.seconds)
            elif args.action == "offset":
                state = client.clock.offset(args.seconds)
            elif args.action == "real":
                state = client.clock.real()
            else:
                state = client.clock.get()
        if args.json:
            print_json(state)
        else:
            print(_show_clock(state))

    return run(args, action)


def _subcommands(
    parser: argparse.ArgumentParser,
) -> "argparse._SubParsersAction[argparse.ArgumentParser]":
    connection_flags(parser)
    parser.add_argument("--json", action="store_true", help="JSON instead of text")
    parser.set_defaults(action="show")
    return parser.add_subparsers(dest="action", metavar="ACTION")


def add_behaviour_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    faults = commands.add_parser(
        "faults", help="list, set, add, remove or clear fault rules (no ACTION: list)"
    )
    actions = _subcommands(faults)
    source = "a JSON file, - for stdin, or the JSON itself"
    actions.add_parser("set", help="replace every rule with a JSON array").add_argument(
        "source", help=source
    )
    actions.add_parser("add", help="add one rule (a JSON object)").add_argument(
        "source", help=source
    )
    actions.add_parser("remove", help="remove one rule by its id").add_argument("id", type=int)
    actions.add_parser("clear", help="remove every rule")
    faults.set_defaults(handler=faults_command)

    clock = commands.add_parser(
        "clock", help="show, freeze, advance, offset the emulator's clock, or make it real"
    )
    actions = _subcommands(clock)
    actions.add_parser("freeze", help="stop time (at AT, ISO 8601, or now)").add_argument(
        "at", nargs="?", help="e.g. 2030-01-01T00:00:00Z"
    )
    actions.add_parser("advance", help="move time forward").add_argument(
        "seconds", type=_seconds, help="90, 90s, 30m, 24h or 7d"
    )
    actions.add_parser("offset", help="real time plus (or minus) this").add_argument(
        "seconds", type=_seconds, help="e.g. 1h, or -- -30m for the past"
    )
    actions.add_parser("real", help="back to real time")
    clock.set_defaults(handler=clock_command)
