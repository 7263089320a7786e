"""The bundled demo account's ids, its static token, and request bodies kept as files."""

from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"
ANDROID_APP = "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"
IOS_APP = "99d9b8fb-0c62-5a85-3e43-2402554d93a5"
WEB_APP = "c2e4f6a8-1b3d-4f5e-8a7c-9e0f1a2b3c4d"
WELCOME_TEMPLATE = "7a1e5c3b-2d4f-4a6b-8c9d-0e1f2a3b4c5d"
SALE_TEMPLATE = "5b9d2f4e-6a8c-4e0b-9d1f-3a5c7e9b1d2f"
MASTER_TABLE = "0d4e8b2a-6c1f-4a3e-9b5d-7f2a4c6e8b0d"
# A transactional content (SendTransactionalPush's contentId), single language.
BOOKING_CONTENT = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"
TURKISH_SEGMENT = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
VIP_SEGMENT = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
DEMO = {"Authorization": "Bearer demo-token"}


def payload(name: str) -> bytes:
    """A request body kept as a file named after the rule it exercises."""
    return (PAYLOADS / name).read_bytes()


def inline_send(**extra: Any) -> dict[str, Any]:
    return {
        "applicationIds": [ANDROID_APP],
        "content": {"title": "Hi", "message": "Hello"},
        **extra,
    }
