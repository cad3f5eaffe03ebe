"""PostgreSQL databases for the tests: one per test, each as if copied from a fresh template.

Copying the migrated template (`CREATE DATABASE … TEMPLATE`) costs 0.2–0.4 s by machine and
dropping it 0.05–0.2 s more, for each of a thousand tests on the PostgreSQL leg. So a
database a test is done with is put back to the template's state instead (about 0.05 s),
and the next test gets it under a new name:

- every session still connected to it is ended (as `DROP DATABASE … WITH (FORCE)` would),
  and it is renamed to this worker's spare name, so nothing left over from the test (a
  thread of an app that was not stopped, a pool that reconnects) can reach it again;
- it is reused only if its schema is still the template's (tables, columns, indexes,
  constraints, triggers, functions, schemas, database settings); a test that changed any
  of that (a downgrade, a trigger of its own) gets its database dropped as before;
- every table the template holds empty is emptied, every table the template
  seeds (the migrations' rows: synonyms, freshness policies, the change log's origin, …)
  gets exactly the template's rows back when they differ, and every sequence is set back
  to the template's value. The audit log's triggers refuse a `DELETE` from the app, as
  they should; this session runs with `session_replication_role = replica`, which
  PostgreSQL provides for exactly this, so no trigger fires for it.
"""

from __future__ import annotations

import os
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from api import migrations

POSTGRES_ENV = "BATON_TEST_POSTGRES_URL"

# What a schema is made of, as text, in every schema but PostgreSQL's own: a test that
# changes any of it gets a new database next time.
SCHEMA = """
SELECT md5(string_agg(item, E'\\n' ORDER BY item)) FROM (
    SELECT 'schema ' || nspname AS item FROM pg_namespace
     WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%'
    UNION ALL
    SELECT format('relation %s.%s %s %s', n.nspname, c.relname, c.relkind,
                  pg_get_viewdef(c.oid))
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast_temp_%'
    UNION ALL
    SELECT format('column %s %s %s %s %s %s', a.attrelid::regclass, a.attnum, a.attname,
                  format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(d.adbin, d.adrelid))
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(i.indexrelid))
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    UNION ALL
    SELECT format('constraint %s %s %s', conrelid::regclass, conname,
                  pg_get_constraintdef(oid))
      FROM pg_constraint
     WHERE connamespace NOT IN (SELECT oid FROM pg_namespace
                                 WHERE nspname IN ('pg_catalog', 'information_schema'))
    UNION ALL
    SELECT format('trigger %s %s', tgenabled, pg_get_triggerdef(oid))
      FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT format('function %s %s', p.oid::regprocedure, md5(p.prosrc))
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT format('sequence %s %s %s %s %s', seqrelid::regclass, seqincrement, seqstart,
                  seqmin, seqmax)
      FROM pg_sequence
    UNION ALL
    SELECT format('setting %s', setconfig)
      FROM pg_db_role_setting WHERE setdatabase = (
          SELECT oid FROM pg_database WHERE datname = current_database())
    UNION ALL
    SELECT 'extension ' || extname FROM pg_extension
) AS schema
"""

TABLES = """
SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
 WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
"""

SEQUENCES = """
SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences
 WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
"""


def _rows(table: str) -> str:
    """A query for a table's rows as text, in one order (equal rows, equal lists)."""
    return f"SELECT coalesce(array_agg(r::text ORDER BY r::text), '{{}}') FROM {table} r"


@dataclass(frozen=True)
class Template:
    """What a database copied from the template holds: its schema, rows and sequences."""

    schema: str
    empty: tuple[str, ...]
    seeded: dict[str, list[str]]  # table -> its rows as text
    sequences: dict[str, int | None]

    @classmethod
    def read(cls, conn: sa.Connection) -> Template:
        schema = conn.execute(sa.text(SCHEMA)).scalar_one()
        tables = list(conn.execute(sa.text(TABLES)).scalars())
        empty: list[str] = []
        seeded: dict[str, list[str]] = {}
        for table in tables:
            rows = conn.execute(sa.text(_rows(table))).scalar_one()
            if rows:
                seeded[table] = rows
            else:
                empty.append(table)
        sequences = {name: value for name, value in conn.execute(sa.text(SEQUENCES)).all()}
        return cls(schema, tuple(empty), seeded, sequences)

    def restore(self, conn: sa.Connection) -> bool:
        """Put a database with this template's schema back to its rows; False if the
        schema is not the template's any more (the caller drops the database)."""
        if conn.execute(sa.text(SCHEMA)).scalar_one() != self.schema:
            return False
        # No trigger fires for this session: neither the audit log's refusals nor the
        # foreign keys' checks (every table is emptied, so no reference is left dangling).
        conn.execute(sa.text("SET session_replication_role = replica"))
        if self.empty:
            used = " UNION ALL ".join(
                f"SELECT {i} WHERE EXISTS (SELECT FROM {table})"
                for i, table in enumerate(self.empty)
            )
            for i in conn.execute(sa.text(used)).scalars().all():
                # DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE's new files
                # cost more than the copy of a database this replaces.
                conn.execute(sa.text(f"DELETE FROM {self.empty[i]}"))
        for table, rows in self.seeded.items():
            if conn.execute(sa.text(_rows(table))).scalar_one() == rows:
                continue
            conn.execute(sa.text(f"DELETE FROM {table}"))
            conn.execute(
                sa.text(
                    f"INSERT INTO {table} SELECT (row::{table}).* "
                    "FROM unnest(CAST(:rows AS text[])) AS row"
                ),
                {"rows": rows},
            )
        for name, value in conn.execute(sa.text(SEQUENCES)).all():
            wanted = self.sequences.get(name)
            if value != wanted:
                conn.execute(
                    sa.text("SELECT setval(:name, :value, :called)"),
                    {"name": name, "value": wanted or 1, "called": wanted is not None},
                )
        return True


class PostgresDatabases:
    """Gives each test a database in the template's state: a copy, or one put back."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.prefix = f"baton_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template_name = f"{self.prefix}_template"
        self.spare_name = f"{self.prefix}_spare"
        self.spare = False
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        self.counter = 0
        try:
            with self.admin.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except Exception as exc:
            raise RuntimeError(
                f"{POSTGRES_ENV} is set but PostgreSQL at {self.url.render_as_string()} "
                f"cannot be reached: {exc}"
            ) from exc
        self._drop_leftovers()
        self.execute(f'CREATE DATABASE "{self.template_name}"')
        migrations.upgrade(self.url_for(self.template_name))
        engine = sa.create_engine(self.url_for(self.template_name), poolclass=sa.NullPool)
        with engine.connect() as conn:
            self.template = Template.read(conn)
        engine.dispose()

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def execute(self, statement: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(statement))

    def _drop_leftovers(self) -> None:
        """Drop databases left by earlier runs whose process is gone."""
        with self.admin.connect() as conn:
            names = conn.execute(
                sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'baton_test_%'")
            ).scalars()
            for name in list(names):
                pid = name.split("_")[2]
                if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def create(self, *, empty: bool = False) -> str:
        """A database migrated to head (the template's state), or an empty one."""
        self.counter += 1
        name = f"{self.prefix}_{self.counter}"
        if empty:
            self.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        elif self.spare:
            self.spare = False
            self.execute(f'ALTER DATABASE "{self.spare_name}" RENAME TO "{name}"')
        else:
            self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_name}"')
        return self.url_for(name)

    def drop(self, url: str) -> None:
        """Done with a database: kept as the spare if it can be put back, else dropped."""
        name = make_url(url).database
        assert name is not None
        if not self.spare and self._put_back(name):
            self.spare = True
            return
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _put_back(self, name: str) -> bool:
        try:
            with self.admin.connect() as conn:
                # Wait (up to 5 s each) for every session on it to end; renaming needs none.
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
                conn.execute(sa.text(f'ALTER DATABASE "{name}" RENAME TO "{self.spare_name}"'))
        except sa.exc.DBAPIError:
            return False  # a session came back, or it is gone: drop it as before
        engine = sa.create_engine(self.url_for(self.spare_name), poolclass=sa.NullPool)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("SET lock_timeout = '5s'"))
                restored = self.template.restore(conn)
        except sa.exc.DBAPIError as exc:
            # Not expected: said, and the database dropped, so the next test still gets
            # the template's state.
            warnings.warn(f"could not put test database {name} back: {exc}", stacklevel=2)
            restored = False
        finally:
            engine.dispose()
        if not restored:
            self.execute(f'DROP DATABASE IF EXISTS "{self.spare_name}" WITH (FORCE)')
        return restored

    def close(self) -> None:
        """Drop every database this run made (the template, the spare, any a test left)."""
        with self.admin.connect() as conn:
            names = conn.execute(
                sa.text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"),
                {"prefix": f"{self.prefix}%"},
            ).scalars()
            for name in list(names):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()
