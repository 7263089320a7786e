"""`push-emulator run -- COMMAND`: the emulator around any test command, in any language."""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import orjson

from emulator import REST_PREFIX
from emulator.cli.serve import add_settings_flags, settings_from
from emulator.settings import Settings

if TYPE_CHECKING:
    from emulator.client import EmulatorClient

# Exit statuses of run itself, as `docker run` and shells spell them: the emulator did not
# start; the command could not be executed; the command was not found.
EMULATOR_FAILED = 125
NOT_EXECUTABLE = 126
NOT_FOUND = 127
# Seconds an accepted send may take to finish its fan-out before the export is written.
SETTLE_TIMEOUT = 60.0


def _serve_flags(args: argparse.Namespace) -> list[str]:
    """The settings given on run's command line, as `serve` flags again."""
    flags: list[str] = []
    for name, value in vars(args).items():
        if name not in Settings.model_fields:
            continue
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            flags.append(flag if value else "--no-" + flag[2:])
        else:
            flags += [flag, str(value)]
    return flags


def _url(host: str, port: int) -> str:
    # A wildcard address is reached on loopback; any other is reached where it was bound.
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - read, not bound
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _Interrupted(Exception):
    """A signal arrived while no command was running: stop, exiting 128 + its number."""

    def __init__(self, signum: int) -> None:
        self.signum = signum


class _Command:
    """The user's command: SIGTERM is passed on to it; Ctrl-C reaches it from the terminal.

    It shares run's process group, so a Ctrl-C in the terminal signals it directly; passing
    SIGINT on as well would interrupt its own clean-up with a second one.
    """

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.process is None or self.process.poll() is not None:
            # Starting the emulator, or writing the export: stop that.
            raise _Interrupted(signum)
        if signum != signal.SIGINT:
            self.process.send_signal(signum)

    def run(self, argv: list[str], env: dict[str, str]) -> int:
        try:
            self.process = subprocess.Popen(argv, env=env)  # noqa: S603 - the user's own command
        except FileNotFoundError:
            print(f"push-emulator run: command not found: {argv[0]}", file=sys.stderr)
            return NOT_FOUND
        except PermissionError:
            print(f"push-emulator run: cannot execute {argv[0]}", file=sys.stderr)
            return NOT_EXECUTABLE
        returncode = self.process.wait()
        # Killed by a signal: the status a shell would report, 128 + its number.
        return returncode if returncode >= 0 else 128 - returncode


@contextlib.contextmanager
def _signals(command: _Command) -> Iterator[None]:
    handled = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, command.on_signal) for sig in handled}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _write_lines(path: Path, records: Iterator[Any]) -> int:
    count = 0
    with path.open("wb") as out:
        for record in records:
            out.write(orjson.dumps(record) + b"\n")
            count += 1
    return count


def _settle(client: "EmulatorClient") -> None:
    """Let sends already accepted finish their fan-out, so the export has their deliveries."""
    pending = client.sends(status="Queued") + client.sends(status="Sending")
    for item in pending:
        client.wait_for_sends(tracking_id=item["trackingId"], timeout=SETTLE_TIMEOUT)


def _save(args: argparse.Namespace, url: str, admin_token: str | None) -> bool:
    """Write --export and --journal while the emulator still runs; False when one failed."""
    if args.export is None and args.journal is None:
        return True
    # Imported here: every command, `serve` too, parses this module, and httpx is ~50 ms.
    import httpx

    from emulator.client import EmulatorClient, EmulatorError, WaitTimeout

    try:
        with EmulatorClient(url, admin_token=admin_token) as client:
            if args.export is not None:
                _settle(client)
                count = _write_lines(args.export, client.export())
                print(
                    f"push-emulator run: {count} send(s) written to {args.export}", file=sys.stderr
                )
            if args.journal is not None:
                # The API lists the journal newest first; the file reads oldest first.
                count = _write_lines(args.journal, iter(reversed(client.requests())))
                print(
                    f"push-emulator run: {count} request(s) written to {args.journal}",
                    file=sys.stderr,
                )
    except (EmulatorError, WaitTimeout, httpx.HTTPError, OSError) as error:
        print(f"push-emulator run: could not write the export or journal: {error}", file=sys.stderr)
        return False
    return True


def run(args: argparse.Namespace) -> int:
    # Imported here, as in `serve`: the other commands and `--help` need none of the server.
    from emulator.serving import free_port, serve_process

    argv = list(args.command)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        raise SystemExit("push-emulator run: no command given; usage: push-emulator run -- COMMAND")
    with tempfile.TemporaryDirectory(prefix="push-emulator-run-") as temp:
        # A free port and a fresh database unless given as flags (not from EMULATOR_PORT or
        # EMULATOR_DB: inside the emulator's own container those name the running server's).
        if "port" not in vars(args):
            args.port = str(free_port())
        if "db" not in vars(args):
            args.db = str(Path(temp) / "emulator.db")
        settings = settings_from(args)
        url = _url(settings.host, settings.port)
        admin_token = settings.admin_token.get_secret_value() if settings.admin_token else None
        env = {**os.environ, "PUSH_EMULATOR_URL": url, "DENGAGE_API_URL": url + REST_PREFIX}
        if admin_token is not None:
            env["EMULATOR_ADMIN_TOKEN"] = admin_token
        log_path = args.log or Path(temp) / "emulator.log"
        serve = [sys.executable, "-m", "emulator", "serve", *_serve_flags(args)]
        command = _Command()
        with _signals(command), log_path.open("wb") as log:
            try:
                # Its own session: a Ctrl-C reaches the command, and the emulator stays up
                # until the export is written.
                with serve_process(serve, settings.port, output=log, url=url, own_session=True):
                    rest = url + REST_PREFIX
                    print(
                        f"push-emulator run: emulator at {url} (DENGAGE_API_URL={rest})",
                        file=sys.stderr,
                        flush=True,
                    )
                    status = command.run(argv, env)
                    saved = _save(args, url, admin_token)
            except RuntimeError as error:
                log.flush()
                shown = log_path.read_text(errors="replace").strip()
                print(f"push-emulator run: {error}\n{shown}", file=sys.stderr)
                return EMULATOR_FAILED
            except _Interrupted as interrupted:
                return 128 + interrupted.signum
    return status if saved or status != 0 else 1


def add_run_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "run",
        help="serve the emulator around a command and exit with its status",
        description="Serve the emulator (every serve setting applies) on a free port with a "
        "temporary database, run COMMAND with PUSH_EMULATOR_URL and DENGAGE_API_URL set, "
        "then stop the emulator and exit with the command's status.",
        usage="push-emulator run [SETTINGS] [--export FILE] [--journal FILE] [--log FILE] "
        "-- COMMAND [ARG ...]",
    )
    add_settings_flags(parser)
    parser.add_argument(
        "--export",
        type=Path,
        metavar="FILE",
        help="write every send with its deliveries here (NDJSON, oldest first) after COMMAND",
    )
    parser.add_argument(
        "--journal",
        type=Path,
        metavar="FILE",
        help="write every /rest request here (NDJSON, oldest first) after COMMAND",
    )
    parser.add_argument(
        "--log",
        type=Path,
        metavar="FILE",
        help="keep the emulator's own output here (otherwise shown only if it fails to start)",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)
