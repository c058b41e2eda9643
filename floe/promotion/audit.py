"""The promotion audit trail: one row per request, gate verdict, approval, promotion, refusal
and rollback, in the platform's PostgreSQL. Append-only is enforced by the database itself (a
trigger refuses UPDATE, DELETE and TRUNCATE), not by floe's good manners."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg2
from psycopg2 import sql
from pydantic import SecretStr

from floe.errors import PlatformError
from floe.typedef import FloeModel

DATABASE = "floe"
SCHEMA = """
create table if not exists promotion_audit (
    id bigserial primary key,
    at timestamptz not null default clock_timestamp(),
    request_id text not null,
    action text not null,
    actor text not null,
    product text not null,
    version text,
    digest text,
    from_env text,
    to_env text,
    gate text,
    verdict text,
    reason text not null default ''
);
create or replace function promotion_audit_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'promotion_audit is append-only: % is not allowed', tg_op;
end $$;
create or replace trigger promotion_audit_no_change before update or delete on promotion_audit
    for each row execute function promotion_audit_append_only();
create or replace trigger promotion_audit_no_truncate before truncate on promotion_audit
    for each statement execute function promotion_audit_append_only();
"""
KEYS = (
    "id",
    "at",
    "request_id",
    "action",
    "actor",
    "product",
    "version",
    "digest",
    "from_env",
    "to_env",
    "gate",
    "verdict",
    "reason",
)
FIELDS = KEYS[6:]


class AuditRecord(FloeModel):
    id: int
    at: datetime
    request_id: str
    action: str
    actor: str
    product: str
    version: str | None
    digest: str | None
    from_env: str | None
    to_env: str | None
    gate: str | None
    verdict: str | None
    reason: str


class AuditLog:
    def __init__(self, port: int, user: str, password: SecretStr) -> None:
        self._params: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": port,
            "user": user,
            "password": password.get_secret_value(),
            "dbname": DATABASE,
            "connect_timeout": 5,
        }
        self._ready = False

    def _connect(self) -> Any:
        try:
            conn = psycopg2.connect(**self._params)
        except psycopg2.OperationalError:
            raise PlatformError(
                f"the audit database at 127.0.0.1:{self._params['port']} cannot be reached: "
                "promotion records every step, so it does not run without it",
                hint="start the platform with 'floe platform up'",
            ) from None
        conn.autocommit = True
        if not self._ready:
            with conn.cursor() as cur:
                cur.execute(SCHEMA)
            self._ready = True
        return conn

    def record(self, request_id: str, action: str, actor: str, product: str, **fields: Any) -> None:
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise ValueError(f"promotion_audit has no column {sorted(unknown)}")
        values = {
            "request_id": request_id,
            "action": action,
            "actor": actor,
            "product": product,
            **fields,
        }
        statement = sql.SQL("insert into promotion_audit ({}) values ({})").format(
            sql.SQL(", ").join(map(sql.Identifier, values)),
            sql.SQL(", ").join(sql.Placeholder() * len(values)),
        )
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute(statement, list(values.values()))
        finally:
            conn.close()

    def _select(self, column: str, value: str) -> list[AuditRecord]:
        statement = sql.SQL("select {} from promotion_audit where {} = %s order by id").format(
            sql.SQL(", ").join(map(sql.Identifier, KEYS)), sql.Identifier(column)
        )
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute(statement, (value,))
                rows = cur.fetchall()
        finally:
            conn.close()
        return [AuditRecord.model_validate(dict(zip(KEYS, row, strict=True))) for row in rows]

    def history(self, product: str) -> list[AuditRecord]:
        return self._select("product", product)

    def request(self, request_id: str) -> list[AuditRecord]:
        return self._select("request_id", request_id)
