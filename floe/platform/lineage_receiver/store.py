"""The receiver's one table of raw OpenLineage events in PostgreSQL.

Raw payloads are the source of truth (graph.py derives Marquez's answers from them); the few
columns next to the payload exist only so reads can filter and order without unpacking JSON.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import psycopg2
import psycopg2.extras
from pydantic import SecretStr

from floe.observability.logging import get_logger
from floe.platform.lineage_receiver.graph import parse_event_time

log = get_logger(__name__)
T = TypeVar("T")

SCHEMA = (
    """
    create table if not exists lineage_events (
        id bigserial primary key,
        received_at timestamptz not null default now(),
        event_time timestamptz,
        event_type text,
        run_id text,
        job_namespace text,
        job_name text,
        payload jsonb not null
    )
    """,
    "create index if not exists lineage_events_job on lineage_events (job_namespace, job_name)",
    "create index if not exists lineage_events_time on lineage_events (event_time)",
)
# Errors after which the connection is unusable; anything else is a bug worth a 500.
_CONNECTION_LOST = (psycopg2.OperationalError, psycopg2.InterfaceError)


class StoreUnavailableError(RuntimeError):
    """PostgreSQL did not answer, even on a fresh connection after an open one dropped."""


class PostgresStore:
    """One autocommit connection shared by the server's worker threads under a lock.

    A single connection is plenty for a local receiver and keeps PostgreSQL's connection count
    predictable. When it drops (PostgreSQL restarted) the statement is retried once on a fresh
    connection; that can store an event twice in the rare case the server committed just before
    the connection died, which readers tolerate because OpenLineage emitters retry anyway.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        user: str,
        password: SecretStr,
        database: str,
        connect_timeout: int = 3,
    ) -> None:
        self.host, self.port, self.user, self.database = host, port, user, database
        self._password = password
        self._connect_timeout = connect_timeout
        self._conn: Any = None
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def open(self) -> None:
        """Connect and create the table, so a wrong password or a missing database shows at
        start-up instead of on the first event."""

        def create(cur: Any) -> None:
            for statement in SCHEMA:
                cur.execute(statement)

        self._run(create)

    def close(self) -> None:
        with self._lock:
            self._drop()

    def insert(self, event: Mapping[str, Any]) -> None:
        job, run = event["job"], event["run"]
        row = (
            parse_event_time(event["eventTime"]),
            event.get("eventType"),
            run["runId"],
            job["namespace"],
            job["name"],
            psycopg2.extras.Json(dict(event)),
        )

        def insert(cur: Any) -> None:
            cur.execute(
                "insert into lineage_events"
                " (event_time, event_type, run_id, job_namespace, job_name, payload)"
                " values (%s, %s, %s, %s, %s, %s)",
                row,
            )

        self._run(insert)

    def events(
        self, *, job: tuple[str, str] | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Payloads newest first (by event time, then arrival), optionally of one job only."""
        sql = "select payload from lineage_events"
        params: list[object] = []
        if job is not None:
            sql += " where job_namespace = %s and job_name = %s"
            params += job
        sql += " order by event_time desc, id desc"
        if limit is not None:
            sql += " limit %s"
            params.append(limit)

        def read(cur: Any) -> list[dict[str, Any]]:
            cur.execute(sql, params)
            return [row[0] for row in cur.fetchall()]

        return self._run(read)

    def count(self) -> int:
        def count(cur: Any) -> int:
            cur.execute("select count(*) from lineage_events")
            return int(cur.fetchone()[0])

        return self._run(count)

    def ping(self) -> bool:
        def ping(cur: Any) -> bool:
            cur.execute("select 1")
            return bool(cur.fetchone() == (1,))

        try:
            return self._run(ping)
        except StoreUnavailableError:
            return False

    def _run(self, work: Callable[[Any], T]) -> T:
        with self._lock:
            if self._conn is not None:
                try:
                    return self._attempt(work)
                except _CONNECTION_LOST as exc:
                    self._drop()
                    log.warning("lineage_store_reconnecting", store=self.where, error=_text(exc))
            try:
                return self._attempt(work)
            except _CONNECTION_LOST as exc:
                self._drop()
                raise StoreUnavailableError(
                    f"PostgreSQL at {self.where} is unavailable: {_text(exc)}"
                ) from exc

    def _attempt(self, work: Callable[[Any], T]) -> T:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg2.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self._password.get_secret_value(),
                dbname=self.database,
                connect_timeout=self._connect_timeout,
                application_name="floe-lineage-receiver",
                # Reads rebuild answers from every event: bound them, so a large history slows
                # a read down instead of holding the lock (and the emitters' POSTs) for long.
                options="-c statement_timeout=5000",
            )
            self._conn.autocommit = True
        with self._conn.cursor() as cur:
            return work(cur)

    def _drop(self) -> None:
        if self._conn is not None and not self._conn.closed:
            self._conn.close()
        self._conn = None


def _text(exc: Exception) -> str:
    """psycopg2's messages end in newlines and repeat 'FATAL:' padding; keep one clean line."""
    return " ".join(str(exc).split())
