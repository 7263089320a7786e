""" "Copy as curl": a shell command that sends a recorded request again to this emulator."""

import json
import shlex

from emulator import REST_PREFIX
from emulator.push.fixtures import FixtureSet


def curl_command(
    base_url: str,
    body: str,
    api_user: str,
    fixtures: FixtureSet,
    path: str = f"{REST_PREFIX}/push/sendInstant",
) -> str:
    """POST the body as received to `path`, with a token the API user can use here.

    A static token from the fixtures is used as is; otherwise the command logs in first, as a
    client would (login tokens expire, so the original request's token is not reused).
    """
    base = base_url.rstrip("/")
    send = f"{base}{path}"
    user = fixtures.users_by_key.get(api_user)
    lines: list[str] = []
    if user is not None and user.tokens:
        auth = shlex.quote(f"Authorization: Bearer {user.tokens[0]}")
    else:
        credentials = (
            f'{{"userkey": {_json_string(api_user)}, "password": {_json_string(user.password)}}}'
            if user is not None
            else '{"userkey": "USERKEY", "password": "PASSWORD"}'
        )
        lines.append(
            f"TOKEN=$(curl -sS -X POST {shlex.quote(base + REST_PREFIX + '/login')} "
            "-H 'Content-Type: application/json' "
            f"--data-raw {shlex.quote(credentials)} "
            "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
        )
        auth = '"Authorization: Bearer $TOKEN"'
    lines.append(
        f"curl -sS -X POST {shlex.quote(send)} \\\n"
        f"  -H {auth} \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        f"  --data-raw {shlex.quote(body)}"
    )
    return "\n".join(lines)


def _json_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)
