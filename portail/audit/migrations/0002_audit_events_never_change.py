"""A database trigger refuses any UPDATE of an audit event: the trail is append-only (the
retention purge deletes whole rows past their period, which is the only other write)."""

from django.db import migrations

POSTGRESQL = """
CREATE OR REPLACE FUNCTION audit_auditevent_no_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Audit events never change.' USING ERRCODE = 'check_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
FOR EACH ROW EXECUTE FUNCTION audit_auditevent_no_update();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS audit_auditevent_no_update ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_auditevent_no_update();
"""
SQLITE = """CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
BEGIN SELECT RAISE(ABORT, 'Audit events never change.'); END"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS audit_auditevent_no_update"


def create_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE)


def drop_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
