"""Re-encrypt every encrypted column under the first key of FIELD_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand
from django.db import transaction

from portail.lib.encryption import encrypted_fields, reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column with the first key of FIELD_ENCRYPTION_KEYS, "
        "so that older keys can then be removed."
    )

    def handle(self, *args, **options):
        for model, name in encrypted_fields():
            updated = 0
            with transaction.atomic():
                # Raw column values: the field would decrypt them on the way in.
                rows = (
                    model._default_manager.exclude(**{f"{name}__isnull": True})
                    .select_for_update()
                    .values_list("pk", flat=True)
                )
                for pk in rows.iterator(chunk_size=500):
                    stored = self._raw_value(model, name, pk)
                    if not stored:
                        continue
                    self._write_raw_value(model, name, pk, reencrypt(stored))
                    updated += 1
            self.stdout.write(f"{model._meta.label}.{name}: {updated} value(s) re-encrypted")

    @staticmethod
    def _raw_value(model, name, pk):
        from django.db import connection

        column = model._meta.get_field(name).column
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {connection.ops.quote_name(column)} FROM "  # noqa: S608
                f"{connection.ops.quote_name(model._meta.db_table)} WHERE "
                f"{connection.ops.quote_name(model._meta.pk.column)} = %s",
                [pk],
            )
            return cursor.fetchone()[0]

    @staticmethod
    def _write_raw_value(model, name, pk, value):
        from django.db import connection

        column = model._meta.get_field(name).column
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {connection.ops.quote_name(model._meta.db_table)} SET "  # noqa: S608
                f"{connection.ops.quote_name(column)} = %s WHERE "
                f"{connection.ops.quote_name(model._meta.pk.column)} = %s",
                [value, pk],
            )
