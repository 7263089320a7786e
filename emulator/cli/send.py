"""`push-emulator send`: one SendInstantPush from flags or a JSON file, printing the answer."""

import argparse
import sys
from typing import Any

import orjson

from emulator import REST_PREFIX
from emulator.cli.common import connection_flags, print_json, run

# The bundled demo account's static token: `send` works against `make run` as it is.
DEMO_TOKEN = "demo-token"  # noqa: S105 - a documented fixture token, not a secret

# Flag -> field of the request's `content`.
CONTENT_FLAGS = {
    "title": "title",
    "message": "message",
    "target_url": "targetUrl",
    "media_url": "mediaUrl",
    "template_id": "templateId",
}
# Flag -> top-level field of the request.
BODY_FLAGS = {
    "segment_id": "segmentId",
    "table_id": "tableId",
    "tracking_id": "trackingId",
    "schedule_date": "scheduleDate",
}


def read_json(source: str) -> Any:
    """JSON from a file, `-` (standard input), or given inline (starting with { or [)."""
    if source.lstrip().startswith(("{", "[")):
        text = source.encode()
    elif source == "-":
        text = sys.stdin.buffer.read()
    else:
        try:
            with open(source, "rb") as file:
                text = file.read()
        except OSError as error:
            raise SystemExit(
                f"push-emulator: {source}: cannot be read ({error.strerror})"
            ) from None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise SystemExit(f"push-emulator: {source}: not valid JSON ({error})") from None


def request_body(args: argparse.Namespace) -> dict[str, Any]:
    """The --body file, with every flag given set on top of it."""
    body = read_json(args.body) if args.body else {}
    if not isinstance(body, dict):
        raise SystemExit(f"push-emulator: {args.body}: must be a JSON object (a send's body)")
    content = {field: getattr(args, flag) for flag, field in CONTENT_FLAGS.items()}
    if any(value is not None for value in content.values()):
        body["content"] = {
            **body.get("content", {}),
            **{k: v for k, v in content.items() if v is not None},
        }
    body |= {
        field: getattr(args, flag) for flag, field in BODY_FLAGS.items() if getattr(args, flag)
    }
    if args.application_id:
        body["applicationIds"] = args.application_id
    if args.engaged_only:
        body["useOnlyEngagedTokens"] = True
    return body


def send_command(args: argparse.Namespace) -> int:
    import httpx

    def action() -> int:
        body = request_body(args)
        base = args.url.rstrip("/") + REST_PREFIX
        with httpx.Client(base_url=base, timeout=30) as http:
            token = args.token
            if args.userkey:
                login = http.post(
                    "/login", json={"userkey": args.userkey, "password": args.password}
                )
                if login.status_code != 200:
                    print_json(login.json())
                    return 1
                token = login.json()["access_token"]
            answer = http.post(
                "/push/sendInstant", json=body, headers={"Authorization": f"Bearer {token}"}
            )
        try:
            print_json(answer.json())
        except ValueError:
            print(answer.text)
        return 0 if answer.status_code == 200 else 1

    return run(args, action)


def add_send_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "send",
        help="send one push (POST /rest/push/sendInstant) and print the answer",
        description="Exit 0 on a 200, else 1; the answer is printed either way.",
    )
    connection_flags(parser)
    parser.add_argument("--body", metavar="FILE", help="a JSON body to start from; - reads stdin")
    parser.add_argument("--title")
    parser.add_argument("--message")
    parser.add_argument("--target-url")
    parser.add_argument("--media-url")
    parser.add_argument("--template-id")
    parser.add_argument(
        "--application-id", action="append", help="an application to target (repeatable)"
    )
    parser.add_argument("--segment-id")
    parser.add_argument("--table-id")
    parser.add_argument("--tracking-id")
    parser.add_argument("--schedule-date", help="e.g. '2030-01-01 10:00'")
    parser.add_argument("--engaged-only", action="store_true", help="useOnlyEngagedTokens: true")
    auth = parser.add_mutually_exclusive_group()
    auth.add_argument(
        "--token", default=DEMO_TOKEN, help=f"a static or issued token (default {DEMO_TOKEN})"
    )
    auth.add_argument("--userkey", help="log in as this API user first (with --password)")
    parser.add_argument("--password", default="")
    parser.set_defaults(handler=send_command)
