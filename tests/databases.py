"""Databases for the class board's tests: a SQLite file, and a fresh database on a real PostgreSQL server.

Not a test module. The PostgreSQL server is the one `.ci/run` starts (Debian's postgresql), named by
PLAYGROUND_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:55432/postgres); each test module
gets a database of its own on it, dropped afterwards. Without that variable the PostgreSQL tests are skipped,
unless PLAYGROUND_REQUIRE_POSTGRES=1 (CI), which fails them instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

SERVER_ENV = "PLAYGROUND_TEST_POSTGRES_URL"
KINDS = ("sqlite", "postgresql")


def postgres_server() -> str:
    """The URL of the test PostgreSQL server, or skip (fail in CI) when there is none."""
    url = os.environ.get(SERVER_ENV)
    if url:
        return url
    if os.environ.get("PLAYGROUND_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PLAYGROUND_REQUIRE_POSTGRES=1 but {SERVER_ENV} is not set (see .ci/run)", pytrace=False)
    pytest.skip(f"no PostgreSQL server: set {SERVER_ENV} (.ci/run starts one)")


@contextlib.contextmanager
def fresh_postgres() -> Iterator[str]:
    """The URL of a new, empty database on the test server, dropped on exit."""
    server = make_url(postgres_server())
    name = f"board_test_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))  # name: our own hex, not user text
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def database(kind: str, folder) -> Iterator[str]:
    """A SQLAlchemy URL of an empty database of `kind` ("sqlite": a file in `folder`; "postgresql")."""
    if kind == "sqlite":
        yield f"sqlite:///{folder}/board.sqlite3"
    else:
        with fresh_postgres() as url:
            yield url
