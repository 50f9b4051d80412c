"""Re-encrypt every encrypted column, and every stored file encrypted with ``encrypt_bytes``
(signed mandate PDFs), under the first key of FIELD_ENCRYPTION_KEYS.

Key rotation (docs/operations.md): put the new key first in FIELD_ENCRYPTION_KEYS, keep the
old one after it, restart, run this command, then remove the old key. The portal keeps
working throughout: every listed key decrypts.
"""

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction

from portail.lib.encryption import (
    PREFIX,
    DecryptionError,
    decrypt_bytes,
    encrypt_bytes,
    encrypted_fields,
    reencrypt,
)

CHUNK = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column with the first key of FIELD_ENCRYPTION_KEYS, "
        "so that older keys can then be removed."
    )

    def handle(self, *args, **options):
        for model, name in encrypted_fields():
            updated = self._rotate(model, name)
            self.stdout.write(f"{model._meta.label}.{name}: {updated} value(s) re-encrypted")
        for model, name in file_fields():
            rotated = self._rotate_files(model, name)
            if rotated:
                self.stdout.write(f"{model._meta.label}.{name}: {rotated} file(s) re-encrypted")
        for model, name in binary_fields():
            rotated = self._rotate_binary(model, name)
            if rotated:
                self.stdout.write(f"{model._meta.label}.{name}: {rotated} value(s) re-encrypted")

    def _rotate_binary(self, model, name) -> int:
        """Re-encrypt the encrypted values of a binary column (outbox attachments), each row
        written only if unchanged since read."""
        marker = PREFIX.encode("ascii")
        rotated = 0
        rows = model._base_manager.order_by("pk").values_list("pk", name)
        for key, stored in rows.iterator(chunk_size=CHUNK):
            stored = bytes(stored)
            if not stored.startswith(marker):
                continue
            try:
                fresh = encrypt_bytes(decrypt_bytes(stored))
            except DecryptionError as exc:
                raise CommandError(
                    f"{model._meta.label}.{name} of row {key}: {exc} Put back in "
                    "FIELD_ENCRYPTION_KEYS the key it was encrypted with, then run this again."
                ) from exc
            rotated += model._base_manager.filter(pk=key, **{name: stored}).update(**{name: fresh})
        return rotated

    def _rotate(self, model, name) -> int:
        """Re-encrypt the column by chunks of rows, reading and writing the stored text
        directly: through the ORM the field would decrypt on the way out and encrypt again
        on the way in, which is the same thing but hides a value no key decrypts."""
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        column = quote(model._meta.get_field(name).column)
        pk = quote(model._meta.pk.column)
        # Table and column names come from the models, never from input.
        select = (
            f"SELECT {pk}, {column} FROM {table} "  # noqa: S608  # nosec B608
            f"WHERE {column} IS NOT NULL AND {column} <> ''"
        )
        # Written only if unchanged since read: a value the portal saved meanwhile is
        # already under the new key and must not be overwritten with the older one.
        update = (
            f"UPDATE {table} SET {column} = %s "  # noqa: S608  # nosec B608
            f"WHERE {pk} = %s AND {column} = %s"
        )
        updated, last_pk = 0, None
        while True:
            after, params = ("", []) if last_pk is None else (f" AND {pk} > %s", [last_pk])
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"{select}{after} ORDER BY {pk} LIMIT {CHUNK}", params)
                rows = cursor.fetchall()
                if not rows:
                    return updated
                changes = [
                    (self._reencrypt(model, name, key, stored), key, stored) for key, stored in rows
                ]
                cursor.executemany(update, changes)
                updated += len(changes)
                last_pk = rows[-1][0]

    @staticmethod
    def _reencrypt(model, name, key, stored) -> str:
        try:
            return reencrypt(stored)
        except DecryptionError as exc:
            # Rows already done stay done (each chunk is committed): run again once fixed.
            raise CommandError(
                f"{model._meta.label}.{name} of row {key}: {exc} Put back in "
                "FIELD_ENCRYPTION_KEYS the key it was encrypted with, then run this again."
            ) from exc

    def _rotate_files(self, model, name) -> int:
        """Re-encrypt the encrypted files of a file column. Storages do not overwrite a file
        in place, so each file is written under a new name, the row is pointed at it if it
        still names the old one, and only then is the old file deleted: an interruption
        leaves at worst an unused copy, never a row without its file."""
        field = model._meta.get_field(name)
        storage = field.storage
        marker = PREFIX.encode("ascii")
        rows = (
            model._base_manager.exclude(**{name: ""})
            .exclude(**{f"{name}__isnull": True})
            .order_by("pk")
            .values_list("pk", name)
        )
        rotated = 0
        for key, stored_name in rows.iterator(chunk_size=CHUNK):
            try:
                with storage.open(stored_name, "rb") as stream:
                    # Most files (invoices, uploads) are not encrypted: read their head only.
                    content = stream.read(len(marker))
                    if content == marker:
                        content += stream.read()
            except FileNotFoundError:
                self.stderr.write(
                    f"{model._meta.label}.{name} of row {key}: no file {stored_name}."
                )
                continue
            if not content.startswith(marker):
                continue
            try:
                fresh = encrypt_bytes(decrypt_bytes(content))
            except DecryptionError as exc:
                raise CommandError(
                    f"{model._meta.label}.{name} of row {key}: {exc} Put back in "
                    "FIELD_ENCRYPTION_KEYS the key it was encrypted with, then run this again."
                ) from exc
            new_name = storage.save(stored_name, ContentFile(fresh), max_length=field.max_length)
            moved = model._base_manager.filter(pk=key, **{name: stored_name}).update(
                **{name: new_name}
            )
            storage.delete(stored_name if moved else new_name)
            rotated += moved
        return rotated


def file_fields():
    """(model, field name) of every file column of the installed apps, each column once."""
    return [
        (model, field.name)
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
        for field in model._meta.local_concrete_fields
        if isinstance(field, models.FileField)
    ]


def binary_fields():
    """(model, field name) of every binary column of the installed apps."""
    return [
        (model, field.name)
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
        for field in model._meta.local_concrete_fields
        if isinstance(field, models.BinaryField)
    ]
