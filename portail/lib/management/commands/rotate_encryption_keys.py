"""Re-encrypt every encrypted column under the first key of FIELD_ENCRYPTION_KEYS.

Key rotation (docs/operations.md): put the new key first in FIELD_ENCRYPTION_KEYS, keep the
old one after it, restart, run this command, then remove the old key. The portal keeps
working throughout: every listed key decrypts.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from portail.lib.encryption import DecryptionError, encrypted_fields, reencrypt

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
