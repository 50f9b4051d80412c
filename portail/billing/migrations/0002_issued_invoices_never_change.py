"""Database triggers: an issued invoice and its lines never change, an issued invoice is
never deleted, and an invoice's total is the sum of its lines when it is issued.

Constraints on one row are CheckConstraints in the models; these rules span rows or compare
old and new values, which only triggers can say. They exist on SQLite and PostgreSQL."""

from django.db import migrations

FROZEN_COLUMNS = [
    "number",
    "total",
    "household_id",
    "payer_id",
    "kind_id",
    "regie_id",
    "period_on",
    "issued_on",
    "due_on",
    "payer_name",
    "payer_address",
    "external_reference",
]

POSTGRESQL = """
CREATE OR REPLACE FUNCTION billing_invoiceline_guard() RETURNS trigger AS $$
DECLARE
    parent_status varchar;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT status INTO parent_status FROM billing_invoice WHERE id = OLD.invoice_id;
        IF parent_status IS NOT NULL AND parent_status <> 'draft' THEN
            RAISE EXCEPTION 'The lines of issued invoice % never change.', OLD.invoice_id
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT status INTO parent_status FROM billing_invoice WHERE id = NEW.invoice_id;
        IF parent_status IS NOT NULL AND parent_status <> 'draft' THEN
            RAISE EXCEPTION 'The lines of issued invoice % never change.', NEW.invoice_id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_invoiceline_guard
BEFORE INSERT OR UPDATE OR DELETE ON billing_invoiceline
FOR EACH ROW EXECUTE FUNCTION billing_invoiceline_guard();

CREATE OR REPLACE FUNCTION billing_invoice_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'Issued invoice % is never deleted.', OLD.number
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (
        NEW.status = 'draft' OR ({new_columns}) IS DISTINCT FROM ({old_columns})
    ) THEN
        RAISE EXCEPTION 'Issued invoice % never changes: correct it with a credit note.',
            OLD.number USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.status = 'draft' AND NEW.status <> 'draft' AND NEW.total <> (
        SELECT COALESCE(SUM(amount), 0) FROM billing_invoiceline WHERE invoice_id = NEW.id
    ) THEN
        RAISE EXCEPTION 'The total of invoice % is not the sum of its lines.', NEW.number
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_invoice_guard
BEFORE UPDATE OR DELETE ON billing_invoice
FOR EACH ROW EXECUTE FUNCTION billing_invoice_guard();
""".format(  # nosec B608 — constant column names, no input
    new_columns=", ".join(f"NEW.{c}" for c in FROZEN_COLUMNS),
    old_columns=", ".join(f"OLD.{c}" for c in FROZEN_COLUMNS),
)

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS billing_invoice_guard ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_guard();
DROP TRIGGER IF EXISTS billing_invoiceline_guard ON billing_invoiceline;
DROP FUNCTION IF EXISTS billing_invoiceline_guard();
"""

_LINE_ISSUED = "(SELECT status FROM billing_invoice WHERE id = {row}.invoice_id) <> 'draft'"
_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN_COLUMNS)

SQLITE = [
    f"""CREATE TRIGGER billing_invoiceline_guard_insert BEFORE INSERT ON billing_invoiceline
    WHEN {_LINE_ISSUED.format(row="NEW")}
    BEGIN SELECT RAISE(ABORT, 'The lines of an issued invoice never change.'); END""",
    f"""CREATE TRIGGER billing_invoiceline_guard_update BEFORE UPDATE ON billing_invoiceline
    WHEN {_LINE_ISSUED.format(row="OLD")} OR {_LINE_ISSUED.format(row="NEW")}
    BEGIN SELECT RAISE(ABORT, 'The lines of an issued invoice never change.'); END""",
    f"""CREATE TRIGGER billing_invoiceline_guard_delete BEFORE DELETE ON billing_invoiceline
    WHEN {_LINE_ISSUED.format(row="OLD")}
    BEGIN SELECT RAISE(ABORT, 'The lines of an issued invoice never change.'); END""",
    """CREATE TRIGGER billing_invoice_guard_delete BEFORE DELETE ON billing_invoice
    WHEN OLD.status <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'An issued invoice is never deleted.'); END""",
    f"""CREATE TRIGGER billing_invoice_guard_update BEFORE UPDATE ON billing_invoice
    WHEN OLD.status <> 'draft' AND (NEW.status = 'draft' OR {_CHANGED})
    BEGIN SELECT RAISE(ABORT, 'An issued invoice never changes: use a credit note.'); END""",
    """CREATE TRIGGER billing_invoice_total_at_issue BEFORE UPDATE ON billing_invoice
    WHEN OLD.status = 'draft' AND NEW.status <> 'draft' AND ROUND(NEW.total, 2) <> ROUND((
        SELECT COALESCE(SUM(amount), 0) FROM billing_invoiceline WHERE invoice_id = NEW.id
    ), 2)
    BEGIN SELECT RAISE(ABORT, 'The total of an invoice is the sum of its lines.'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS billing_invoiceline_guard_insert",
    "DROP TRIGGER IF EXISTS billing_invoiceline_guard_update",
    "DROP TRIGGER IF EXISTS billing_invoiceline_guard_delete",
    "DROP TRIGGER IF EXISTS billing_invoice_guard_delete",
    "DROP TRIGGER IF EXISTS billing_invoice_guard_update",
    "DROP TRIGGER IF EXISTS billing_invoice_total_at_issue",
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
