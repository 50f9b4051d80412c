"""Back up, restore, and prove a restore works (docs/operations.md, « Backups »).

    manage.py backup dump [--to DIR] [--no-media] [--keep N]
    manage.py backup restore BACKUP [--i-know]
    manage.py backup drill [--from BACKUP] [--keep-target] [--in-place --i-know] [--json]

A drill dumps the live database and media (or takes an existing backup), restores them into a
scratch database and directory, then compares every table and file with the manifest and
decrypts every encrypted value and file: it reports the RTO and the match and decrypt rates,
and fails on any difference. It never touches the live database unless told twice.
"""

import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portail.lib import backup

LIVE_WARNING = (
    "This would erase the live database ({name}) and replace it with the backup. Stop the web "
    "and worker processes, then run again with --i-know."
)


class Command(BaseCommand):
    help = "Dump, restore or drill a backup of the database and media files."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        dump = actions.add_parser("dump", help="Write a new backup directory.")
        dump.add_argument(
            "--to", type=Path, help="Parent directory (default BACKUP_DIR, or var/backups)."
        )
        dump.add_argument(
            "--no-media",
            action="store_true",
            help="Database only (S3 media: the bucket's versioning is their backup).",
        )
        dump.add_argument(
            "--keep", type=int, default=0, help="Then delete all but the N newest backups."
        )
        restore = actions.add_parser("restore", help="Restore a backup into the live database.")
        restore.add_argument("directory", type=Path)
        restore.add_argument(
            "--i-know", action="store_true", help="Erase a live database that is not empty."
        )
        drill = actions.add_parser("drill", help="Dump, wipe, restore, verify; report figures.")
        drill.add_argument("--from", dest="source", type=Path, help="Drill this backup.")
        drill.add_argument(
            "--keep-target",
            action="store_true",
            help="Leave the scratch PostgreSQL database (<name>_drill) for inspection.",
        )
        drill.add_argument(
            "--in-place", action="store_true", help="Restore over the live database (staging)."
        )
        drill.add_argument("--i-know", action="store_true")
        drill.add_argument(
            "--workspace",
            type=Path,
            help="Keep the backup and the scratch restore there (default: a temporary one).",
        )
        drill.add_argument(
            "--json", dest="as_json", action="store_true", help="Print the report as JSON."
        )

    def handle(self, *args, action, **options):
        try:
            return getattr(self, action)(**options)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error

    def dump(self, *, to, no_media, keep, **_options):
        default = Path(settings.BASE_DIR) / "var" / "backups"
        parent = to or Path(getattr(settings, "BACKUP_DIR", default))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        directory = parent / f"portail-{stamp}"
        manifest = backup.dump(connection, default_storage, directory, include_media=not no_media)
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(
            f"{directory}: {len(manifest['tables'])} tables, {rows} rows, "
            f"{len(manifest['media'])} media files."
        )
        if keep:
            older = sorted(p for p in parent.glob("portail-*") if (p / backup.MANIFEST).exists())
            for path in older[:-keep]:
                shutil.rmtree(path)
                self.stdout.write(f"Deleted {path}.")

    def restore(self, *, directory: Path, i_know, **_options):
        database = connection.settings_dict
        manifest = backup.read_manifest(directory)
        if not backup.database_file_intact(directory, manifest):
            raise CommandError("The database file differs from the manifest: not restored.")
        if not backup.is_empty(database):
            if not i_know:
                raise CommandError(LIVE_WARNING.format(name=database["NAME"]))
            backup.wipe(database)
        connection.close()
        backup.restore(directory, database, default_storage)
        report = backup.verify(directory, database, default_storage)
        self._print(report)
        if not report.passed:
            raise CommandError("The restored data differ from the backup (see above).")

    def drill(self, *, source, keep_target, in_place, i_know, workspace, as_json, **_options):
        if in_place and not i_know:
            raise CommandError(LIVE_WARNING.format(name=connection.settings_dict["NAME"]))
        if in_place and not (workspace or source):
            # The dump must outlive a restore over the live database that fails half-way.
            raise CommandError("--in-place needs --workspace DIR or --from BACKUP.")
        with tempfile.TemporaryDirectory(prefix="portail-drill-") as temporary:
            workspace = workspace or Path(temporary)
            workspace.mkdir(parents=True, exist_ok=True)
            report = backup.drill(
                connection,
                default_storage,
                workspace,
                backup=source,
                in_place=in_place,
                keep_target=keep_target,
            )
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), indent=1, sort_keys=True))
        else:
            self._print(report)
        if not report.passed:
            raise CommandError("The drill failed: the restore differs from the backup.")

    def _print(self, report):
        figures = report.as_dict()
        self.stdout.write(
            f"Backup of {report.created_at} ({report.engine}), RPO set to {report.rpo_hours:g} h\n"
            f"Restored in {report.rto_seconds:.1f} s (RTO)\n"
            f"Tables: {report.tables_matching}/{report.tables} identical "
            f"({figures['checksum_match_percent']} %), {report.rows_restored}/{report.rows} rows\n"
            f"Media files: {report.media_matching}/{report.media_files} identical "
            f"({figures['media_match_percent']} %)\n"
            f"Decrypted: {figures['decrypt_percent']} % of encrypted values and files "
            f"(IBANs {figures['iban_decrypt_percent']} %)\n"
            f"Migrations not applied: {report.pending_migrations}"
        )
        if report.keys_missing:
            self.stdout.write(
                f"Keys of the backup not configured now: {', '.join(report.keys_missing)}"
            )
        for problem in report.problems:
            self.stdout.write(self.style.ERROR(problem))
