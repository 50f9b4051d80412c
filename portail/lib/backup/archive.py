"""Making and restoring a backup: pg_dump/pg_restore (custom format) on PostgreSQL, the online
backup API on SQLite, and a copy of the media files."""

import hashlib
import json
import os
import posixpath
import sqlite3
import subprocess  # nosec B404
from datetime import UTC, datetime
from pathlib import Path

from django.core.files import File

from .content import (
    MANIFEST,
    MEDIA,
    POSTGRESQL_FILE,
    SQLITE_FILE,
    BackupError,
    applied_migrations,
    engine_of,
    key_fingerprints,
    media_names,
    opened,
    read_manifest,
    rpo_hours,
    sha256_of,
    table_checksums,
)

# --- Dump -------------------------------------------------------------------------------------


def pg_environment(database: dict) -> dict:
    """libpq variables for pg_dump/pg_restore: the password never appears on a command line."""
    options = database.get("OPTIONS") or {}
    values = {
        "PGHOST": database.get("HOST") or "",
        "PGPORT": str(database.get("PORT") or ""),
        "PGUSER": database.get("USER") or "",
        "PGPASSWORD": database.get("PASSWORD") or "",
        "PGDATABASE": database["NAME"],
        "PGSSLMODE": options.get("sslmode", ""),
    }
    return {**os.environ, **{name: value for name, value in values.items() if value}}


def run_pg_tool(arguments: list[str], database: dict) -> None:
    # pg_dump or pg_restore with an argument list, no shell.
    completed = subprocess.run(  # noqa: S603  # nosec B603
        arguments, env=pg_environment(database), capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BackupError(f"{arguments[0]} failed: {completed.stderr.strip()[-2000:]}")


def dump(connection, storage, directory: Path, *, include_media: bool = True) -> dict:
    """Write a backup of the database of ``connection`` and of ``storage``'s files into
    ``directory`` (created, must not exist) and return its manifest."""
    try:
        directory.mkdir(parents=True)
    except FileExistsError:
        raise BackupError(f"{directory} already exists: one backup per directory.") from None
    database = connection.settings_dict
    engine = engine_of(database)
    if engine == "postgresql":
        database_file = directory / POSTGRESQL_FILE
        with opened(database) as snapshot_connection, snapshot_connection.cursor() as cursor:
            # One snapshot for pg_dump and for the checksums: the manifest describes exactly
            # what the dump holds, even while the portal keeps writing.
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            run_pg_tool(
                ["pg_dump", "--format=custom", "--no-password", f"--snapshot={snapshot}",
                 f"--file={database_file}"],
                database,
            )  # fmt: skip
            tables = table_checksums(snapshot_connection)
            migrations = applied_migrations(snapshot_connection)
            cursor.execute("COMMIT")
    else:
        database_file = directory / SQLITE_FILE
        _sqlite_copy(connection, database_file)
        # The copy is consistent by construction: describe the copy itself.
        with opened(_sqlite_settings(database_file)) as copy:
            tables, migrations = table_checksums(copy), applied_migrations(copy)
    with database_file.open("rb") as stream:
        file_sha256, file_size = sha256_of(stream)
    media = _copy_media(storage, directory / MEDIA) if include_media else {}
    manifest = {
        "format": 1,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "database_file": {"name": database_file.name, "size": file_size, "sha256": file_sha256},
        "tables": tables,
        "migrations": migrations,
        "media_included": include_media,
        "media": media,
        "encryption_key_fingerprints": key_fingerprints(),
        "rpo_hours": rpo_hours(),
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), "utf-8")
    return manifest


def _sqlite_settings(path: Path) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


def _sqlite_copy(connection, destination: Path) -> None:
    """A consistent copy of a live SQLite database (WAL mode included), never a file copy."""
    if connection.in_atomic_block:
        # The copy would wait for the connection's own open transaction to end: for ever.
        raise BackupError("An SQLite database is copied outside of any transaction.")
    connection.ensure_connection()
    target = sqlite3.connect(destination)
    try:
        connection.connection.backup(target)
        # One self-contained file: no -wal beside it when it is read or copied.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()


def _copy_media(storage, destination: Path) -> dict[str, dict]:
    inventory = {}
    for name in media_names(storage):
        path = destination / name
        path.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with storage.open(name, "rb") as stream, path.open("wb") as copy:
            while block := stream.read(1024 * 1024):
                digest.update(block)
                copy.write(block)
                size += len(block)
        inventory[name] = {"size": size, "sha256": digest.hexdigest()}
    return inventory


# --- Restore ----------------------------------------------------------------------------------


def is_empty(database: dict) -> bool:
    with opened(database) as connection, connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def wipe(database: dict) -> None:
    """Empty ``database`` (every table, sequence and trigger). Callers decide whether it may.
    SQLite needs nothing: the backup API replaces the whole content of the target."""
    if engine_of(database) == "postgresql":
        with opened(database) as connection, connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")


def restore(directory: Path, database: dict, storage) -> None:
    """Load the backup into ``database`` (empty) and its media files into ``storage``."""
    manifest = read_manifest(directory)
    if manifest["engine"] != engine_of(database):
        raise BackupError(
            f"This backup is of a {manifest['engine']} database; the target is "
            f"{engine_of(database)}."
        )
    database_file = directory / manifest["database_file"]["name"]
    if manifest["engine"] == "postgresql":
        run_pg_tool(
            ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
             "--no-password", f"--dbname={database['NAME']}", str(database_file)],
            database,
        )  # fmt: skip
    else:
        source = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
        target = sqlite3.connect(database["NAME"])
        try:
            source.backup(target)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"SQLite restore failed: {error}") from error
        finally:
            target.close()
            source.close()
    for name in manifest["media"]:
        with (directory / MEDIA / name).open("rb") as stream:
            if storage.exists(name):
                storage.delete(name)
            saved = storage.save(name, File(stream, name=posixpath.basename(name)))
        if saved != name:
            raise BackupError(f"The media file {name} was restored as {saved}.")


def scratch_database(database: dict, workspace: Path) -> dict:
    """Where a drill restores, never the live database: PostgreSQL ``<name>_drill`` on the
    same server, or an SQLite file in the workspace."""
    if engine_of(database) == "postgresql":
        return {**database, "NAME": f"{database['NAME'][:57]}_drill"}
    return _sqlite_settings(workspace / "restored.sqlite3")


def recreate_postgresql(database: dict, *, drop_only: bool = False) -> None:
    maintenance = {**database, "NAME": "postgres"}
    quoted = '"' + database["NAME"].replace('"', '""') + '"'
    with opened(maintenance) as connection, connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        if not drop_only:
            cursor.execute(f"CREATE DATABASE {quoted}")
