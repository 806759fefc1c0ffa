"""Raw SQL that goes around the ORM's append-only guard, as an attacker with database access would.

On PostgreSQL the append-only trigger is switched off for the statement (session_replication_role,
which needs the superuser the test database runs as) and switched back on afterwards.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def _trigger_disabled() -> Iterator[object]:
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            if postgresql:
                cursor.execute("SET session_replication_role = DEFAULT")


def tamper_data(event_id: int, data: dict) -> None:
    """Overwrite one event's details without touching its hash."""
    with _trigger_disabled() as cursor:
        cursor.execute("UPDATE audit_auditevent SET data = %s WHERE id = %s", [json.dumps(data), event_id])
        assert cursor.rowcount == 1


def tamper_column(event_id: int, column: str, value: object) -> None:
    """Overwrite one column (a fixed name from the test, never input) of one event."""
    with _trigger_disabled() as cursor:
        cursor.execute(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, event_id])  # noqa: S608
        assert cursor.rowcount == 1


def delete_event(event_id: int) -> None:
    """Remove one event row."""
    with _trigger_disabled() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event_id])
        assert cursor.rowcount == 1
