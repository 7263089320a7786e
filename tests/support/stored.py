"""Small readers of what the emulator stored, for assertions."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from emulator.storage.tables import JournalEntry, Send
from tests.support.app import runtime_of


def stored_sends(client: TestClient) -> list[Send]:
    runtime = runtime_of(client)
    with Session(runtime.engine) as session:
        return list(session.exec(select(Send).order_by(Send.id)))  # type: ignore[arg-type]


def journal(client: TestClient) -> list[JournalEntry]:
    runtime = runtime_of(client)
    runtime.writer.run_sync(lambda _c: None)  # journal rows are queued after the answer
    with Session(runtime.engine) as session:
        return list(session.exec(select(JournalEntry).order_by(JournalEntry.id)))  # type: ignore[arg-type]
