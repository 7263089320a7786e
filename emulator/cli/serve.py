"""`push-emulator serve` (a flag for every setting) and `push-emulator healthcheck`."""

import argparse
import os
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from emulator import __version__
from emulator.settings import Settings
from emulator.urls import default_url


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _scalar_type(annotation: Any) -> Any:
    """int, float, str, Path or bool from a settings annotation (Annotated and Optional aside)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _scalar_type(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _scalar_type(inner[0])
    return annotation


def add_settings_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per Settings field, so a flag and its EMULATOR_* variable can never drift."""
    for name, info in Settings.model_fields.items():
        kind = _scalar_type(info.annotation)
        env = f"EMULATOR_{name.upper()}"
        help_text = f"{info.description} [env {env}; default {info.default}]"
        if kind is bool:
            parser.add_argument(
                _flag(name),
                dest=name,
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=help_text,
            )
        else:
            parser.add_argument(
                _flag(name),
                dest=name,
                default=argparse.SUPPRESS,
                help=help_text,
                metavar=name.upper(),
            )


def settings_from(args: argparse.Namespace) -> Settings:
    """Flags over environment over defaults; a bad value is one line naming flag and variable."""
    given = {name: value for name, value in vars(args).items() if name in Settings.model_fields}
    try:
        return Settings(**given)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        name = str(first["loc"][0]) if first["loc"] else "?"
        value = given.get(name, first.get("input"))
        raise SystemExit(
            f"push-emulator: bad setting {_flag(name)} / EMULATOR_{name.upper()}="
            f"{value}: {first['msg']}"
        ) from None


def serve(args: argparse.Namespace) -> int:
    # Imported here: the client commands and `--help` need none of the server.
    import gc

    from emulator.app import create_app
    from emulator.bodies import RuleError
    from emulator.push.fixtures import FixtureError
    from emulator.serving import EmulatorServer, PortUnavailable, bound_socket, server_config
    from emulator.storage.db import DatabaseError

    settings = settings_from(args)
    try:
        app = create_app(settings)
    except (FixtureError, DatabaseError, RuleError) as error:
        raise SystemExit(f"push-emulator: {error}") from None
    try:
        sock = bound_socket(settings.host, settings.port)
    except PortUnavailable as error:
        raise SystemExit(
            f"push-emulator: {error}; choose another with --port or EMULATOR_PORT"
        ) from None
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    print(
        f"push-emulator {__version__}: base URL http://{shown}:{port}/rest · "
        f"inbox http://{shown}:{port}/ · db {settings.db} · "
        f"fixtures {settings.fixtures}",
        file=sys.stderr,
        flush=True,
    )
    ready = ready_line(str(host), int(port))
    config = server_config(app, settings)
    # The fixtures (and their index) live as long as the server; left to the cyclic collector,
    # every full collection walks them and pauses all requests for ~0.3 s per 100,000
    # devices. Frozen, collections only walk what requests allocate. Only in this process:
    # never in a test session that runs the app in-process.
    gc.collect()
    gc.freeze()

    def announce() -> None:
        if settings.ready_file is not None:
            write_atomically(settings.ready_file, ready)
        sys.stdout.write(ready)
        sys.stdout.flush()

    def withdraw() -> None:
        # A ready file outliving its server would tell the next harness a lie.
        if settings.ready_file is not None:
            settings.ready_file.unlink(missing_ok=True)

    server = EmulatorServer(config, app.state.runtime, on_ready=announce, on_stop=withdraw)
    server.run(sockets=[sock])
    return 0


def ready_line(host: str, port: int) -> str:
    """The one JSON line a harness waits for on stdout (and in --ready-file): where to
    connect, the port (useful after --port 0) and the process id."""
    import json

    # A wildcard address is where the server listens, not one to connect to.
    reachable = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    shown = f"[{reachable}]" if ":" in reachable else reachable
    url = f"http://{shown}:{port}"
    return json.dumps({"event": "ready", "url": url, "port": port, "pid": os.getpid()}) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Whole or not at all: a harness polling for the file never reads half a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)


def healthcheck(args: argparse.Namespace) -> int:
    """Exit 0 when /readyz answers 200, else 1: a container health check without curl."""
    import httpx

    url = args.url.rstrip("/") + "/readyz"
    try:
        response = httpx.get(url, timeout=args.timeout)
    except httpx.HTTPError as error:
        print(f"unhealthy: {url}: {error}", file=sys.stderr)
        return 1
    if response.status_code != 200:
        print(f"unhealthy: {url} answered {response.status_code}: {response.text}", file=sys.stderr)
        return 1
    print(f"ready: {url}")
    return 0


def add_serve_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    serve_parser = commands.add_parser("serve", help="serve the emulated API")
    add_settings_flags(serve_parser)
    serve_parser.set_defaults(handler=serve)
    health_parser = commands.add_parser(
        "healthcheck", help="exit 0 if the server at --url is ready, else 1"
    )
    health_parser.add_argument(
        "--url",
        default=default_url(),
        help="server to probe [env PUSH_EMULATOR_URL; default http://127.0.0.1:$EMULATOR_PORT "
        "or :8080]",
    )
    health_parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait")
    health_parser.set_defaults(handler=healthcheck)
