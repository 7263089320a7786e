"""The `push-emulator` command: `serve`, `healthcheck`, `run`, and commands against a server."""

import argparse
from collections.abc import Sequence

from emulator import __version__
from emulator.cli.behaviour import add_behaviour_commands
from emulator.cli.devices import add_device_commands
from emulator.cli.remote import add_client_commands
from emulator.cli.run import add_run_command
from emulator.cli.send import add_send_command
from emulator.cli.serve import add_serve_commands
from emulator.cli.tail import add_tail_command
from emulator.cli.users import add_users_command
from emulator.cli.wait import add_wait_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="push-emulator",
        description="A local emulator of D·engage's push REST API.",
    )
    parser.add_argument("--version", action="version", version=f"push-emulator {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_serve_commands(commands)
    add_run_command(commands)
    add_client_commands(commands)
    add_send_command(commands)
    add_wait_command(commands)
    add_behaviour_commands(commands)
    add_tail_command(commands)
    add_users_command(commands)
    add_device_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.handler(args)
    return result
