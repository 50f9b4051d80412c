"""What a backup holds and how it is described: the manifest's table checksums, media
inventory, migrations and key fingerprints, computed the same way on a dump and on a restore."""

import hashlib
import json
import posixpath
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import ConnectionHandler

MANIFEST = "manifest.json"
MEDIA = "media"
POSTGRESQL_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
CHUNK = 2000


class BackupError(Exception):
    """A backup could not be made, read or restored."""


ENGINES = {"django.db.backends.postgresql": "postgresql", "django.db.backends.sqlite3": "sqlite"}


def engine_of(database: dict) -> str:
    try:
        return ENGINES[database["ENGINE"]]
    except KeyError:
        raise BackupError(f"No backup procedure for the {database['ENGINE']} engine.") from None


def key_fingerprints() -> list[str]:
    """Short one-way fingerprints of FIELD_ENCRYPTION_KEYS, to tell which keys a backup needs
    without storing them (a Fernet key is 256 random bits: its hash gives nothing away)."""
    return [
        hashlib.sha256(f"portail-field-key:{key}".encode()).hexdigest()[:16]
        for key in settings.FIELD_ENCRYPTION_KEYS
    ]


# --- Reading a database -----------------------------------------------------------------------


@contextmanager
def opened(database: dict):
    """A Django connection of its own to ``database`` (a DATABASES entry), closed on exit."""
    connection = ConnectionHandler({DEFAULT_DB_ALIAS: dict(database)})[DEFAULT_DB_ALIAS]
    try:
        connection.ensure_connection()
        yield connection
    finally:
        connection.close()


def _text(value):
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def table_checksums(connection) -> dict[str, dict]:
    """{table: {"rows": n, "sha256": …}} of every table, rows hashed in primary key order,
    columns in name order. Computed the same way on the dump and on the restore, so equal
    values mean equal content (on the same engine)."""
    quote = connection.ops.quote_name
    result = {}
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        for table in tables:
            columns = _column_names(connection, cursor, table)
            keys = connection.introspection.get_primary_key_columns(cursor, table) or columns
            select = f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)}"  # noqa: S608  # nosec B608
            digest, rows = hashlib.sha256(), 0
            for row in _rows_in_order(cursor, select, columns, keys, quote):
                digest.update(json.dumps([_text(v) for v in row], ensure_ascii=False).encode())
                digest.update(b"\n")
                rows += 1
            result[table] = {"rows": rows, "sha256": digest.hexdigest()}
    return result


def _column_names(connection, cursor, table) -> list[str]:
    # Read from the catalogue: Django's get_table_description parses SQLite's CREATE TABLE
    # text and fails on some valid tables.
    if connection.vendor == "sqlite":
        cursor.execute(f"PRAGMA table_info({connection.ops.quote_name(table)})")
        return sorted(row[1] for row in cursor.fetchall())
    cursor.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s",
        [table],
    )
    return sorted(row[0] for row in cursor.fetchall())


def _rows_in_order(cursor, select, columns, keys, quote):
    """The rows ordered by primary key, read by chunks (keyset pagination) when the key is one
    column, so a large table is never held in memory at once."""
    order = ", ".join(quote(k) for k in keys)
    if len(keys) != 1:
        cursor.execute(f"{select} ORDER BY {order}")
        yield from cursor.fetchall()
        return
    position, last = columns.index(keys[0]), None
    while True:
        where, params = ("", []) if last is None else (f" WHERE {order} > %s", [last])
        cursor.execute(f"{select}{where} ORDER BY {order} LIMIT {CHUNK}", params)
        chunk = cursor.fetchall()
        yield from chunk
        if len(chunk) < CHUNK:
            return
        last = chunk[-1][position]


def applied_migrations(connection) -> list[str]:
    with connection.cursor() as cursor:
        if "django_migrations" not in connection.introspection.table_names(cursor):
            return []
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{app}.{name}" for app, name in cursor.fetchall()]


def pending_migrations(connection) -> int:
    """Migrations of the code not applied in the database (0 once a backup of the same
    release is restored; otherwise run `manage.py migrate` after the restore)."""
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


# --- Media ------------------------------------------------------------------------------------


def media_names(storage, path="") -> list[str]:
    try:
        directories, files = storage.listdir(path)
    except FileNotFoundError:
        return []
    names = [posixpath.join(path, name) for name in files]
    for directory in directories:
        names += media_names(storage, posixpath.join(path, directory))
    return sorted(names)


def sha256_of(stream) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while block := stream.read(1024 * 1024):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


def media_inventory(storage, names=None) -> dict[str, dict]:
    inventory = {}
    for name in media_names(storage) if names is None else names:
        if not storage.exists(name):
            continue
        with storage.open(name, "rb") as stream:
            sha256, size = sha256_of(stream)
        inventory[name] = {"size": size, "sha256": sha256}
    return inventory


def rpo_hours() -> float:
    """The recovery point objective the backup schedule is set for (BACKUP_RPO_HOURS)."""
    return float(getattr(settings, "BACKUP_RPO_HOURS", 24))


def read_manifest(directory: Path) -> dict:
    try:
        return json.loads((directory / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{directory} holds no readable {MANIFEST}: {error}") from error


def database_file_intact(directory: Path, manifest: dict) -> bool:
    path = directory / manifest["database_file"]["name"]
    if not path.exists():
        return False
    with path.open("rb") as stream:
        return sha256_of(stream)[0] == manifest["database_file"]["sha256"]
