"""The class board's storage: classes, and the runs their students send, in any database SQLAlchemy reaches (an
embedded SQLite file by default; PostgreSQL so that replicas behind a balancer share one board).

No Streamlit here (sections/board.py draws the board and sends the runs). Every statement is SQLAlchemy Core
with bound parameters; every function takes an Engine and plain values. What a run keeps is its settings as
the page validated and ran them (the link that reproduces it) and the scores the server computed from that run,
never numbers a browser sent.

Trust: a class code is the only way in (no query lists classes); a student can only add runs; clearing or
closing a board takes the teacher key, of which only a hash is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    event,
    exc,
    func,
    insert,
    select,
    update,
)

from .safe_text import one_line

CODE_PATTERN = re.compile(r"[A-Za-z0-9-]{4,32}")
NICKNAME_CHARS = 24
MAX_RUNS = 1000  # per class
SEND_INTERVAL = 5.0  # seconds between two sends from one session
LIFETIME_HOURS = 24.0  # a class and its runs are deleted this long after it was made (configurable)
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a projector

METADATA = MetaData()
CLASSES = Table(
    "board_classes", METADATA,
    Column("code", String(32), primary_key=True),
    Column("teacher_key_hash", String(64), nullable=False),  # sha256 of the key; the key itself is never stored
    Column("created_at", Float, nullable=False),  # Unix seconds
    Column("expires_at", Float, nullable=False),
    Column("closed", Boolean, nullable=False, default=False),
    Index("board_classes_expiry", "expires_at"),
)
RUNS = Table(
    "board_runs", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_code", String(32), ForeignKey("board_classes.code", ondelete="CASCADE"), nullable=False),
    Column("sender", String(64), nullable=False),  # a random token of the sending session: for the send interval
    Column("created_at", Float, nullable=False),
    Column("nickname", String(NICKNAME_CHARS), nullable=False),
    Column("settings", Text, nullable=False),  # JSON of the link's settings (Settings.to_query of the run)
    Column("scores", Text, nullable=False),  # JSON of the server's scores of that run (see sections/board.py)
    Index("board_runs_by_class", "class_code", "id"),
    Index("board_runs_by_sender", "class_code", "sender", "created_at"),
)


@dataclass(frozen=True)
class Joined:
    """A session's view of its class: whether this visit made it (then `teacher_key` is its key, shown once)."""

    code: str
    created: bool
    teacher_key: str | None
    expires_at: float
    closed: bool


@dataclass(frozen=True)
class Sent:
    """The outcome of a send: the new run's id, or None with the reason in words for the page."""

    run_id: int | None
    message: str


def new_code() -> str:
    """A fresh class code that is easy to read off a projector and hard to guess: e.g. 'k7mq-2xpa'."""
    pick = lambda: "".join(secrets.choice(_CODE_ALPHABET) for _ in range(4))  # noqa: E731
    return f"{pick()}-{pick()}"


def code_problem(code: str) -> str | None:
    """Why `code` cannot name a class, in words, or None when it can."""
    if CODE_PATTERN.fullmatch(code or ""):
        return None
    return "a class code is 4 to 32 letters, digits or '-'"


def clean_nickname(text: str) -> str:
    """A nickname as it is kept and shown: one line of printable characters, spaces squeezed, at most 24."""
    return " ".join(one_line(text or "").split())[:NICKNAME_CHARS]


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def connect_options(url: str) -> dict:
    """create_engine() arguments for this database: SQLite waits for a busy file instead of failing at once."""
    return {"connect_args": {"timeout": 10}} if url.startswith("sqlite") else {"pool_pre_ping": True}


def prepare(engine: Engine) -> None:
    """Make the tables and indexes if they are missing (two replicas may race to: the loser finds them made), and
    on SQLite take the write lock when a transaction starts, so that checks before an insert stay true."""
    if engine.dialect.name == "sqlite":
        _immediate_transactions(engine)
    try:
        METADATA.create_all(engine, checkfirst=True)
    except exc.DBAPIError:  # made meanwhile by another process
        METADATA.create_all(engine, checkfirst=True)


def _immediate_transactions(engine: Engine) -> None:
    """SQLAlchemy's recipe for SQLite: let SQLAlchemy, not the driver, begin transactions, as BEGIN IMMEDIATE."""
    if getattr(engine, "_board_immediate", False):
        return
    engine._board_immediate = True

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        dbapi_connection.execute("PRAGMA journal_mode = WAL")  # readers do not wait for a writer

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _expire(connection, now: float) -> None:
    gone = select(CLASSES.c.code).where(CLASSES.c.expires_at <= now)
    connection.execute(delete(RUNS).where(RUNS.c.class_code.in_(gone)))
    connection.execute(delete(CLASSES).where(CLASSES.c.expires_at <= now))


def join(engine: Engine, code: str, now: float, lifetime_hours: float = LIFETIME_HOURS) -> Joined:
    """Join class `code`, making it (with a new teacher key) if it does not exist or has expired."""
    if problem := code_problem(code):
        raise ValueError(problem)
    key = secrets.token_urlsafe(12)
    try:
        with engine.begin() as connection:
            _expire(connection, now)
            row = connection.execute(select(CLASSES).where(CLASSES.c.code == code)).first()
            if row is not None:
                return Joined(code, False, None, row.expires_at, row.closed)
            expires = now + lifetime_hours * 3600.0
            connection.execute(insert(CLASSES).values(code=code, teacher_key_hash=_hash(key), created_at=now,
                                                      expires_at=expires, closed=False))
            return Joined(code, True, key, expires, False)
    except exc.IntegrityError:  # another session made it a moment ago: join it as a student
        return join(engine, code, now, lifetime_hours)


def send(engine: Engine, code: str, sender: str, nickname: str, settings: dict, scores: dict, now: float) -> Sent:
    """Add a run to class `code`, unless the class is gone or closed, full, or this sender sent < 5 s ago."""
    with engine.begin() as connection:
        query = select(CLASSES).where(CLASSES.c.code == code, CLASSES.c.expires_at > now)
        board = connection.execute(query.with_for_update()).first()  # one send at a time per class
        if board is None:
            return Sent(None, "This class board has expired or does not exist any more.")
        if board.closed:
            return Sent(None, "The teacher has closed this class board.")
        last = connection.execute(select(func.max(RUNS.c.created_at)).where(
            RUNS.c.class_code == code, RUNS.c.sender == sender)).scalar()
        if last is not None and now - last < SEND_INTERVAL:
            return Sent(None, f"Sent {now - last:.0f} s ago: wait {SEND_INTERVAL - (now - last):.0f} s more.")
        count = connection.execute(select(func.count()).select_from(RUNS).where(RUNS.c.class_code == code)).scalar()
        if count >= MAX_RUNS:
            return Sent(None, f"This board is full ({MAX_RUNS:,} runs).")
        run_id = connection.execute(insert(RUNS).values(
            class_code=code, sender=sender, created_at=now, nickname=clean_nickname(nickname),
            settings=json.dumps(settings, sort_keys=True), scores=json.dumps(scores, sort_keys=True),
        )).inserted_primary_key[0]
    return Sent(int(run_id), "Sent to the class board.")


def version(engine: Engine, code: str) -> tuple[int, int]:
    """(latest run id, number of runs) of class `code`: changes whenever a run is added or the board cleared."""
    query = select(func.coalesce(func.max(RUNS.c.id), 0), func.count()).where(RUNS.c.class_code == code)
    with engine.connect() as connection:
        latest, count = connection.execute(query).one()
    return int(latest), int(count)


def runs(engine: Engine, code: str, after_id: int = 0) -> list[dict]:
    """The runs of class `code` (those with id > `after_id`), oldest first, as dicts with the JSON decoded."""
    query = select(RUNS.c.id, RUNS.c.created_at, RUNS.c.nickname, RUNS.c.settings, RUNS.c.scores).where(
        RUNS.c.class_code == code, RUNS.c.id > after_id).order_by(RUNS.c.id)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [{"id": row.id, "created_at": row.created_at, "nickname": row.nickname,
             "settings": json.loads(row.settings), "scores": json.loads(row.scores)} for row in rows]


def _by_teacher(engine: Engine, code: str, key: str, change) -> bool:
    """Apply `change(connection)` if `key` is the class's teacher key; whether it was."""
    with engine.begin() as connection:
        stored = connection.execute(select(CLASSES.c.teacher_key_hash).where(CLASSES.c.code == code)).scalar()
        if stored is None or not hmac.compare_digest(stored, _hash(key or "")):
            return False
        change(connection)
    return True


def clear(engine: Engine, code: str, key: str) -> bool:
    """Delete every run of the class, with its teacher key; whether the key was right."""
    return _by_teacher(engine, code, key, lambda c: c.execute(delete(RUNS).where(RUNS.c.class_code == code)))


def set_closed(engine: Engine, code: str, key: str, closed: bool) -> bool:
    """Close the board to new runs (or open it again), with the teacher key; whether the key was right."""
    return _by_teacher(engine, code, key, lambda c: c.execute(
        update(CLASSES).where(CLASSES.c.code == code).values(closed=closed)))


def is_closed(engine: Engine, code: str) -> bool:
    """Whether the teacher has closed class `code` to new runs."""
    with engine.connect() as connection:
        return bool(connection.execute(select(CLASSES.c.closed).where(CLASSES.c.code == code)).scalar())


def is_teacher(engine: Engine, code: str, key: str) -> bool:
    """Whether `key` is the teacher key of class `code`."""
    return _by_teacher(engine, code, key, lambda c: None)
