"""The test database's other sessions: who opened them, and ending them before pytest-django drops it.

pytest-django drops each worker's PostgreSQL test database at the end of the run; a session still open on
it makes the DROP fail ("is being accessed by other users") and leaves the database behind. The test
processes' connections are remembered when Django opens them (which test, which thread), so a session
that outlives the run is reported with where it came from, then ended. A backend's pid alone does not
name it: the machine reuses pids within a run (pid_max 32768), so a session is known by its pid and
start time, and carries an application_name (`PGAPPNAME` for the processes tests start).
"""

import os
import threading
import time
from datetime import datetime

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

_OPENED_BY: dict[tuple[int, datetime], str] = {}  # (backend pid, backend start) -> "thread, test" that opened it


def _remember(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    if connection.vendor != "postgresql":
        return
    test = os.environ.get("PYTEST_CURRENT_TEST", "no test")
    thread = threading.current_thread().name
    # On the driver's own connection, so no test counting this thread's queries sees it.
    row = connection.connection.execute(
        "SELECT pid, backend_start, set_config('application_name', %s, false) FROM pg_stat_activity "
        "WHERE pid = pg_backend_pid()",
        [f"pytest {os.getpid()} {thread}"[:63]],
    ).fetchone()
    if row is not None:
        _OPENED_BY[row[0], row[1]] = f"thread {thread}, {test}"


def remember_who_opens_connections() -> None:
    connection_created.connect(_remember, dispatch_uid="tests.database_sessions")


def end_other_sessions(timeout: float = 10.0) -> list[str]:
    """Wait up to `timeout` for the database's other sessions to end, end those left; describe those.

    Closes this thread's own connection afterwards: it would otherwise be the session holding the database.
    """
    others = (
        "SELECT pid, backend_start, application_name, state, left(query, 120) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )
    deadline = time.monotonic() + timeout
    try:
        with connection.cursor() as cursor:
            while True:
                cursor.execute(others)
                rows = cursor.fetchall()
                if not rows:
                    return []
                if time.monotonic() > deadline:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [[r[0] for r in rows]]
                    )
                    return [
                        f"pid {pid} (opened {started:%H:%M:%S} by "
                        f"{_OPENED_BY.get((pid, started), f'another process, application_name {name!r}')}; "
                        f"{state}; last statement: {query})"
                        for pid, started, name, state, query in rows
                    ]
                time.sleep(0.1)
    finally:
        connection.close()
