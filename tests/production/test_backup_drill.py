"""The backup and restore drill (SECURITY.md REL-05; docs/operations.md « Backups »): dump,
wipe, restore into a scratch database, then every table, media file and encrypted value is
checked against the backup. Run on the engine of the suite (SQLite, or PostgreSQL when
DATABASE_URL says so: the CI runs both). A damaged backup must fail the drill, not pass it."""

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from portail.billing import services as billing_services
from portail.direct_debits import services as debit_services
from portail.direct_debits.models import Mandate
from portail.households.models import Child
from portail.lib import backup
from portail.lib.encryption import decrypt, decrypt_bytes
from tests.direct_debits.factories import (
    CREDITOR_IBAN,
    DEBTOR_IBAN,
    OTHER_IBAN,
    CreditorSettingsFactory,
)
from tests.factories import RegieFactory
from tests.portal.families import make_family
from tests.production.conftest import ROOT, test_database_url
from tests.security import figures
from tests.security.figures import record
from tests.trust.world import MARKER_A, make_rich_family

# A third account, signed through the real service: its PDF is stored encrypted.
SIGNED_IBAN = "FR7620041000000100501234581"
ALLERGY = "Allergie sévère aux arachides (Zorglubien)"
DOCTOR = "Dr Quenottier, 3 place du Marché"
PAI = "PAI asthme : Ventoline 2 bouffées si crise"

transactional = pytest.mark.django_db(transaction=True)
only_on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite leg")
only_on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL leg (DATABASE_URL=postgres://…)"
)


@dataclass
class World:
    ibans: list[str]
    health: list[str]
    signed: Mandate
    signed_pdf: bytes
    media: dict[str, bytes] = field(default_factory=dict)


def make_backup_world(monkeypatch) -> World:
    """The rich family of the trust suite (invoices, payments, a mandate and its PDF, a
    pending change of account, requests with an upload) plus health data, an invoice PDF and a
    mandate signed through the service, whose PDF is stored encrypted."""
    rich = make_rich_family(MARKER_A)
    assert not rich.failed, rich.failed
    Child.objects.filter(pk=rich.child.pk).update(allergies=ALLERGY, doctor=DOCTOR, pai=PAI)
    invoice = rich.household.invoices.order_by("pk").first()
    billing_services.store_invoice_pdf(invoice_id=invoice.pk)

    family = make_family(name="Sauvegarde", children=1, contacts=0)
    regie = CreditorSettingsFactory(
        regie=RegieFactory(name="Régie Sauvegarde", accepts_direct_debit=True)
    ).regie
    monkeypatch.setattr(debit_services.mandates, "_new_code", lambda: "123456")
    signature = debit_services.request_mandate(
        user=family.user, payer=family.guardian, regie=regie, holder_name="Marie Sauvegarde",
        holder_address="7 allée des Archives\n74000 Bourg", iban=SIGNED_IBAN,
    )  # fmt: skip
    signed = debit_services.sign_mandate(signature=signature, code="123456", ip_address=None)
    signed_pdf = signed.read_pdf()
    world = World(
        ibans=[DEBTOR_IBAN, OTHER_IBAN, SIGNED_IBAN, CREDITOR_IBAN],
        health=[ALLERGY, DOCTOR, PAI],
        signed=signed,
        signed_pdf=signed_pdf,
    )
    for name in backup.media_names(default_storage):
        with default_storage.open(name, "rb") as stream:
            world.media[name] = stream.read()
    return world


@pytest.fixture
def media_on_disk(settings, tmp_path):
    """Media files in a directory of their own, as in production (the suite keeps them in
    memory)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return Path(settings.MEDIA_ROOT)


def drill(*arguments) -> tuple[dict, str | None]:
    """Run `manage.py backup drill --json …`: (its report, the error it ended with or None)."""
    out = io.StringIO()
    try:
        call_command("backup", "drill", "--json", *arguments, stdout=out)
    except CommandError as error:
        return json.loads(out.getvalue()), str(error)
    return json.loads(out.getvalue()), None


def restored_database(workspace: Path) -> dict:
    return backup.scratch_database(connection.settings_dict, workspace)


def stored_column(database: dict, table: str, column: str) -> list[str]:
    with backup.opened(database) as restored, restored.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> '' ORDER BY id")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def check_full_drill(monkeypatch, tmp_path) -> None:
    world = make_backup_world(monkeypatch)
    workspace = tmp_path / "drill"
    try:
        report, error = drill("--workspace", str(workspace), "--keep-target")
        assert error is None, report["problems"]
        assert report["problems"] == []
        assert report["checksum_match_percent"] == 100.0
        assert report["tables_matching"] == report["tables"] >= 60
        assert report["rows_restored"] == report["rows"]
        assert report["media_match_percent"] == 100.0
        assert report["media_files"] == len(world.media) >= 4
        assert report["iban_decrypt_percent"] == 100.0
        assert report["encrypted_values"]["direct_debits.Mandate.iban"] == [2, 2]
        assert report["encrypted_files"] == [1, 1]  # the signed mandate's PDF
        assert report["pending_migrations"] == 0

        # What the drill restored, read independently of its report.
        target = restored_database(workspace)
        ibans = stored_column(target, "direct_debits_mandate", "iban")
        ibans += stored_column(target, "direct_debits_signaturecode", "iban")
        ibans += stored_column(target, "direct_debits_creditorsettings", "creditor_iban")
        assert all(value.startswith("fernet:") for value in ibans)
        assert sorted(decrypt(value) for value in ibans) == sorted(
            [DEBTOR_IBAN, SIGNED_IBAN, OTHER_IBAN, SIGNED_IBAN, CREDITOR_IBAN, CREDITOR_IBAN]
        )
        health = stored_column(target, "households_child", "allergies")
        assert [decrypt(value) for value in health] == [ALLERGY]
        restored_media = FileSystemStorage(location=workspace / "restored-media")
        for name, content in world.media.items():
            with restored_media.open(name, "rb") as stream:
                assert stream.read() == content, name
        with restored_media.open(world.signed.pdf.name, "rb") as stream:
            pdf = decrypt_bytes(stream.read())
        assert pdf == world.signed_pdf
        assert hashlib.sha256(pdf).hexdigest() == world.signed.pdf_sha256
    finally:
        if connection.vendor == "postgresql":
            backup.recreate_postgresql(restored_database(workspace), drop_only=True)
    record(
        "backup",
        engine=report["engine"],
        rpo_hours=report["rpo_hours"],
        rto_seconds=report["rto_seconds"],
        tables=report["tables"],
        rows=report["rows"],
        checksum_match_percent=report["checksum_match_percent"],
        media_files=report["media_files"],
        media_match_percent=report["media_match_percent"],
        iban_decrypt_percent=report["iban_decrypt_percent"],
        decrypt_percent=report["decrypt_percent"],
    )
    # Written now too: the figures plugin lives in tests/security/conftest.py, which a run of
    # tests/production alone does not load.
    figures.write()


@only_on_sqlite
@transactional
def test_drill_on_sqlite_restores_every_table_file_and_iban(monkeypatch, tmp_path, media_on_disk):
    check_full_drill(monkeypatch, tmp_path)


@only_on_postgresql
@transactional
def test_drill_on_postgresql_restores_every_table_file_and_iban(
    monkeypatch, tmp_path, media_on_disk
):
    check_full_drill(monkeypatch, tmp_path)


def dump_to(parent: Path) -> Path:
    call_command("backup", "dump", "--to", str(parent), stdout=io.StringIO())
    (directory,) = parent.glob("portail-*")
    return directory


def flip_a_byte(path: Path, at: float = 0.5) -> None:
    content = bytearray(path.read_bytes())
    content[int(len(content) * at)] ^= 0x01
    path.write_bytes(bytes(content))


@transactional
def test_a_flipped_byte_in_the_database_file_fails_the_drill(monkeypatch, tmp_path, media_on_disk):
    make_backup_world(monkeypatch)
    directory = dump_to(tmp_path / "backups")
    manifest = backup.read_manifest(directory)
    flip_a_byte(directory / manifest["database_file"]["name"])

    report, error = drill("--from", str(directory), "--workspace", str(tmp_path / "drill"))

    assert error == "The drill failed: the restore differs from the backup."
    assert report["passed"] is False
    assert report["database_file_intact"] is False
    assert "The database file differs from the one the manifest describes." in report["problems"]


def delete_a_row_inside(directory: Path, tmp_path: Path) -> str:
    """Delete one notification from the backup's database file and make the manifest's file
    checksum agree, so that only the table checksums can tell. The table's name."""
    manifest = backup.read_manifest(directory)
    database_file = directory / manifest["database_file"]["name"]
    table = "notifications_notification"
    if manifest["engine"] == "sqlite":
        with sqlite3.connect(database_file) as copy:
            copy.execute(f"DELETE FROM {table} WHERE id = (SELECT MIN(id) FROM {table})")  # noqa: S608
        copy.close()
    else:
        tampered = {
            **connection.settings_dict,
            "NAME": f"{connection.settings_dict['NAME']}_tamper",
        }
        backup.recreate_postgresql(tampered)
        try:
            backup.restore(directory, tampered, FileSystemStorage(location=tmp_path / "tamper"))
            with backup.opened(tampered) as database, database.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table} WHERE id = (SELECT MIN(id) FROM {table})")  # noqa: S608
            backup.run_pg_tool(["pg_dump", "--format=custom", f"--file={database_file}"], tampered)
        finally:
            backup.recreate_postgresql(tampered, drop_only=True)
    with database_file.open("rb") as stream:
        manifest["database_file"]["sha256"] = hashlib.sha256(stream.read()).hexdigest()
    (directory / backup.MANIFEST).write_text(json.dumps(manifest), "utf-8")
    return table


@transactional
def test_a_row_deleted_after_the_dump_is_reported_by_its_table(
    monkeypatch, tmp_path, media_on_disk
):
    make_backup_world(monkeypatch)
    directory = dump_to(tmp_path / "backups")
    rows = backup.read_manifest(directory)["tables"]["notifications_notification"]["rows"]
    table = delete_a_row_inside(directory, tmp_path)

    report, error = drill("--from", str(directory), "--workspace", str(tmp_path / "drill"))

    assert error is not None
    assert report["database_file_intact"] is True
    assert report["checksum_match_percent"] < 100.0
    assert report["tables_matching"] == report["tables"] - 1
    assert report["rows_restored"] == report["rows"] - 1
    assert report["problems"] == [f"Table {table}: {rows - 1} row(s) restored, {rows} dumped."]


@transactional
def test_a_damaged_media_file_is_reported_and_does_not_decrypt(
    monkeypatch, tmp_path, media_on_disk
):
    world = make_backup_world(monkeypatch)
    directory = dump_to(tmp_path / "backups")
    flip_a_byte(directory / backup.MEDIA / world.signed.pdf.name, at=0.7)

    report, error = drill("--from", str(directory), "--workspace", str(tmp_path / "drill"))

    assert error is not None
    assert report["checksum_match_percent"] == 100.0
    assert report["media_matching"] == report["media_files"] - 1
    assert report["encrypted_files"] == [0, 1]
    assert report["problems"] == [
        f"Media file {world.signed.pdf.name} is missing or differs.",
        f"Media file {world.signed.pdf.name} does not decrypt.",
    ]


def test_the_drill_refuses_the_live_database_unless_told_twice():
    with pytest.raises(CommandError, match="would erase the live database"):
        call_command("backup", "drill", "--in-place", stdout=io.StringIO())
    # Told twice, it still wants the backup kept where a failed restore cannot take it away.
    with pytest.raises(CommandError, match="--in-place needs --workspace DIR or --from BACKUP"):
        call_command("backup", "drill", "--in-place", "--i-know", stdout=io.StringIO())


@transactional
def test_a_restore_refuses_a_live_database_that_holds_data(monkeypatch, tmp_path, media_on_disk):
    make_backup_world(monkeypatch)
    directory = dump_to(tmp_path / "backups")
    mandates = Mandate.objects.count()

    with pytest.raises(CommandError, match="would erase the live database"):
        call_command("backup", "restore", str(directory), stdout=io.StringIO())

    assert Mandate.objects.count() == mandates == 2


@transactional
def test_the_manifest_names_the_keys_without_holding_them(
    monkeypatch, tmp_path, media_on_disk, settings
):
    make_backup_world(monkeypatch)
    directory = dump_to(tmp_path / "backups")
    text = (directory / backup.MANIFEST).read_text("utf-8")
    manifest = json.loads(text)

    assert manifest["encryption_key_fingerprints"] == backup.key_fingerprints()
    assert len(manifest["encryption_key_fingerprints"]) == len(settings.FIELD_ENCRYPTION_KEYS)
    for key in [*settings.FIELD_ENCRYPTION_KEYS, settings.SECRET_KEY]:
        assert key not in text
    for iban in [DEBTOR_IBAN, SIGNED_IBAN]:
        assert iban not in text
    assert manifest["engine"] == ("postgresql" if connection.vendor == "postgresql" else "sqlite")
    assert "direct_debits.0001_initial" in manifest["migrations"]
    assert manifest["media"]  # with the size and SHA-256 of each file


@transactional
def test_a_restore_into_an_empty_database_gives_back_the_data(monkeypatch, tmp_path, media_on_disk):
    """The disaster case: a new server with the same keys and an empty database, restored by
    the command an operator types (a separate process)."""
    world = make_backup_world(monkeypatch)
    directory = dump_to(tmp_path / "backups")
    environment = {**os.environ, "MEDIA_ROOT": str(tmp_path / "new-media"), "LOG_LEVEL": "WARNING"}
    if connection.vendor == "postgresql":
        target = {**connection.settings_dict, "NAME": f"{connection.settings_dict['NAME']}_new"}
        backup.recreate_postgresql(target)
        environment["DATABASE_URL"] = test_database_url().rsplit("/", 1)[0] + f"/{target['NAME']}"
    else:
        target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "new.sqlite3")}
        environment.pop("DATABASE_URL", None)
        environment["SQLITE_PATH"] = target["NAME"]
    try:
        completed = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "backup", "restore", str(directory)],
            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert completed.returncode == 0, completed.stderr[-3000:]
        assert "Tables: " in completed.stdout and "(100.0 %)" in completed.stdout
        assert "(IBANs 100.0 %)" in completed.stdout
        ibans = stored_column(target, "direct_debits_mandate", "iban")
        assert sorted(decrypt(value) for value in ibans) == sorted([DEBTOR_IBAN, SIGNED_IBAN])
        restored_media = FileSystemStorage(location=tmp_path / "new-media")
        for name, content in world.media.items():
            with restored_media.open(name, "rb") as stream:
                assert stream.read() == content, name
    finally:
        if connection.vendor == "postgresql":
            backup.recreate_postgresql(target, drop_only=True)


@transactional
def test_a_dump_keeps_only_the_newest_backups_it_is_told_to(tmp_path, media_on_disk):
    parent = tmp_path / "backups"
    for stamp in ["20260101T023000Z", "20260102T023000Z", "20260103T023000Z"]:
        (parent / f"portail-{stamp}").mkdir(parents=True)
        (parent / f"portail-{stamp}" / backup.MANIFEST).write_text("{}")
    (parent / "portail-notes").mkdir()  # not a backup: no manifest, left alone

    call_command("backup", "dump", "--to", str(parent), "--keep", "2", stdout=io.StringIO())

    kept = sorted(path.name for path in parent.iterdir())
    assert len(kept) == 3
    assert kept[0] == "portail-20260103T023000Z"
    assert kept[1] > "portail-20260103T023000Z"  # the one just made
    assert kept[2] == "portail-notes"
