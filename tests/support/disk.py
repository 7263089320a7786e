"""A full disk, portably: SQLite's max_page_count makes every write that grows the file fail
with SQLITE_FULL ("database or disk is full"), exactly as a disk with no room left does."""

from typing import Any

from sqlalchemy import Connection, Engine, event

from emulator.storage.writer import Writer

UNLIMITED = 2**30


class DiskLimit:
    """Caps the database file of `engine` at its current size until `free()`.

    The cap is a per-connection pragma: it is set on the writer's connection through the
    writer itself, and on every connection opened later (a writer that resets its connection
    takes another from the pool), so the disk stays full until freed, whatever the writer does.
    """

    def __init__(self, engine: Engine, writer: Writer) -> None:
        self.pages = UNLIMITED
        self.writer = writer
        # Checkout, not connect: a reset writer may be handed a pooled connection.
        event.listen(engine, "checkout", self._on_checkout)

    def _on_checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {self.pages}")

    def _apply(self, connection: Connection) -> None:
        connection.exec_driver_sql(f"PRAGMA max_page_count = {self.pages}")

    def fill(self) -> None:
        """No room for one more page: the next write that grows the file fails."""

        def cap(connection: Connection) -> None:
            self.pages = int(connection.exec_driver_sql("PRAGMA page_count").scalar_one())
            self._apply(connection)

        self.writer.run_sync(cap)

    def free(self) -> None:
        self.pages = UNLIMITED
        self.writer.run_sync(self._apply)
