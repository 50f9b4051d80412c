"""Outbox attachments are encrypted at rest (a signed mandate carries an IBAN): encrypt the
ones stored before, in place."""

from django.db import migrations

from portail.lib.encryption import PREFIX, encrypt_bytes


def encrypt_stored_attachments(apps, schema_editor):
    attachment_model = apps.get_model("notifications", "OutgoingEmailAttachment")
    marker = PREFIX.encode("ascii")
    for attachment in attachment_model.objects.iterator(chunk_size=200):
        content = bytes(attachment.content)
        if not content.startswith(marker):
            attachment.content = encrypt_bytes(content)
            attachment.save(update_fields=["content"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_attachments_notifications_preferences"),
    ]

    operations = [
        migrations.RunPython(encrypt_stored_attachments, migrations.RunPython.noop),
    ]
