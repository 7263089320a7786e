"""Where a running emulator is: the default URL, from the environment."""

import os

DEFAULT_URL = "http://127.0.0.1:8080"


def default_url() -> str:
    """$PUSH_EMULATOR_URL, else 127.0.0.1 on $EMULATOR_PORT (inside the server's own
    container), else DEFAULT_URL."""
    port = os.environ.get("EMULATOR_PORT")
    return os.environ.get("PUSH_EMULATOR_URL") or (
        f"http://127.0.0.1:{port}" if port else DEFAULT_URL
    )
