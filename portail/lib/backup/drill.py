"""Proving a restore: compare a restored database and storage with the manifest, decrypt every
encrypted value and file, and the drill that dumps, wipes, restores and verifies."""

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError

from ..encryption import PREFIX, DecryptionError, decrypt, decrypt_bytes, encrypted_fields
from .archive import dump, recreate_postgresql, restore, scratch_database, wipe
from .content import (
    BackupError,
    database_file_intact,
    engine_of,
    key_fingerprints,
    media_inventory,
    opened,
    pending_migrations,
    read_manifest,
    rpo_hours,
    table_checksums,
)

# --- Verify -----------------------------------------------------------------------------------


@dataclass
class Report:
    engine: str
    created_at: str
    rpo_hours: float
    rto_seconds: float = 0.0
    restored: bool = True
    database_file_intact: bool = False
    tables: int = 0
    tables_matching: int = 0
    rows: int = 0
    rows_restored: int = 0
    media_files: int = 0
    media_matching: int = 0
    encrypted_values: dict = field(default_factory=dict)  # "label.field" → [decrypted, total]
    encrypted_files: list = field(default_factory=lambda: [0, 0])  # [decrypted, total]
    pending_migrations: int = 0
    keys_missing: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    def percent(self, part: int, whole: int) -> float:
        if not self.restored:
            return 0.0
        return 100.0 if whole == 0 else round(100.0 * part / whole, 2)

    @property
    def checksum_match_percent(self) -> float:
        return self.percent(self.tables_matching, self.tables)

    @property
    def media_match_percent(self) -> float:
        return self.percent(self.media_matching, self.media_files)

    def decrypt_percent(self, columns=None) -> float:
        chosen = [
            counts
            for name, counts in self.encrypted_values.items()
            if columns is None or name.rsplit(".", 1)[-1] in columns
        ]
        if columns is None:
            chosen.append(self.encrypted_files)
        return self.percent(sum(c[0] for c in chosen), sum(c[1] for c in chosen))

    @property
    def passed(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "checksum_match_percent": self.checksum_match_percent,
            "media_match_percent": self.media_match_percent,
            "decrypt_percent": self.decrypt_percent(),
            "iban_decrypt_percent": self.decrypt_percent({"iban", "creditor_iban"}),
            "passed": self.passed,
        }


def verify(directory: Path, database: dict, storage) -> Report:
    """Compare the restored ``database`` and ``storage`` with the backup's manifest, and
    decrypt every encrypted value and file with the keys configured now."""
    manifest = read_manifest(directory)
    report = Report(
        engine=manifest["engine"], created_at=manifest["created_at"], rpo_hours=rpo_hours()
    )
    report.database_file_intact = database_file_intact(directory, manifest)
    if not report.database_file_intact:
        report.problems.append("The database file differs from the one the manifest describes.")
    expected = manifest["tables"]
    with opened(database) as connection:
        restored = table_checksums(connection)
        report.pending_migrations = pending_migrations(connection)
        _check_encrypted_values(connection, report)
    report.tables = len(expected)
    report.rows = sum(t["rows"] for t in expected.values())
    report.rows_restored = sum(t["rows"] for t in restored.values())
    for table, wanted in expected.items():
        got = restored.get(table)
        if got == wanted:
            report.tables_matching += 1
        elif got is None:
            report.problems.append(f"Table {table} is missing.")
        else:
            report.problems.append(
                f"Table {table}: {got['rows']} row(s) restored, {wanted['rows']} dumped"
                + (", content differs." if got["rows"] == wanted["rows"] else ".")
            )
    for table in sorted(set(restored) - set(expected)):
        report.problems.append(f"Table {table} is not in the backup.")
    if report.pending_migrations:
        report.problems.append(f"{report.pending_migrations} migration(s) not applied.")
    _check_media(manifest, storage, report)
    report.keys_missing = sorted(
        set(manifest["encryption_key_fingerprints"]) - set(key_fingerprints())
    )
    return report


def _check_encrypted_values(connection, report: Report) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for model, name in encrypted_fields():
            if model._meta.db_table not in tables:
                continue
            column = quote(model._meta.get_field(name).column)
            cursor.execute(
                f"SELECT {column} FROM {quote(model._meta.db_table)} "  # noqa: S608  # nosec B608
                f"WHERE {column} IS NOT NULL AND {column} <> ''"
            )
            values = [row[0] for row in cursor.fetchall()]
            decrypted = sum(1 for value in values if _decrypts(decrypt, value))
            report.encrypted_values[f"{model._meta.label}.{name}"] = [decrypted, len(values)]
            if decrypted < len(values):
                report.problems.append(
                    f"{len(values) - decrypted} value(s) of {model._meta.label}.{name} "
                    "do not decrypt with the configured keys."
                )


def _check_media(manifest: dict, storage, report: Report) -> None:
    expected = manifest["media"]
    restored = media_inventory(storage, names=list(expected))
    report.media_files = len(expected)
    for name, wanted in expected.items():
        if restored.get(name) == wanted:
            report.media_matching += 1
        else:
            report.problems.append(f"Media file {name} is missing or differs.")
        if name not in restored:
            continue
        with storage.open(name, "rb") as stream:
            content = stream.read()
        if content.startswith(PREFIX.encode("ascii")):
            report.encrypted_files[1] += 1
            if _decrypts(decrypt_bytes, content):
                report.encrypted_files[0] += 1
            else:
                report.problems.append(f"Media file {name} does not decrypt.")


def _decrypts(function, value) -> bool:
    try:
        function(value)
    except DecryptionError:
        return False
    return True


# --- Drill ------------------------------------------------------------------------------------


def drill(connection, storage, workspace: Path, *, backup: Path | None = None,
          in_place: bool = False, keep_target: bool = False) -> Report:  # fmt: skip
    """Dump (unless ``backup`` is given), wipe the target, restore, verify. The target is a
    scratch database and media directory in ``workspace`` (PostgreSQL: ``<name>_drill`` on the
    same server), or with ``in_place`` the live ones: the caller must have been told so."""
    database = connection.settings_dict
    if backup is None:
        backup = workspace / "backup"
        dump(connection, storage, backup)
    if in_place:
        connection.close()
        target, target_storage = database, storage
    else:
        target = scratch_database(database, workspace)
        target_storage = FileSystemStorage(location=workspace / "restored-media")
    manifest = read_manifest(backup)
    try:
        started = time.monotonic()
        if engine_of(target) == "postgresql" and not in_place:
            recreate_postgresql(target)
        else:
            wipe(target)
        restore(backup, target, target_storage)
        rto = round(time.monotonic() - started, 3)
        report = verify(backup, target, target_storage)
        report.rto_seconds = rto
    except (BackupError, DatabaseError) as error:
        # A damaged backup may restore into a database that cannot even be read.
        report = _failed(backup, manifest, f"The restore failed: {error}")
    finally:
        if engine_of(target) == "postgresql" and not in_place and not keep_target:
            recreate_postgresql(target, drop_only=True)
    return report


def _failed(backup: Path, manifest: dict, problem: str) -> Report:
    report = Report(
        engine=manifest["engine"], created_at=manifest["created_at"], rpo_hours=rpo_hours()
    )
    report.restored = False
    report.database_file_intact = database_file_intact(backup, manifest)
    report.tables = len(manifest["tables"])
    report.rows = sum(t["rows"] for t in manifest["tables"].values())
    report.media_files = len(manifest["media"])
    if not report.database_file_intact:
        report.problems.append("The database file differs from the one the manifest describes.")
    report.problems.append(problem)
    return report
