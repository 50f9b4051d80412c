"""Apply the retention periods (docs/operations.md « Retention »). Run it daily from cron:

manage.py purge_expired_data            # purge, print the counts
manage.py purge_expired_data --dry-run  # only count what is due
"""

from django.core.management.base import BaseCommand

from portail.accounts.retention import purge_expired_data


class Command(BaseCommand):
    help = "Anonymise or delete the data past its retention period; --dry-run only counts."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args, dry_run=False, **options):
        lines = purge_expired_data(dry_run=dry_run)
        self.stdout.write("Dry run: nothing changed." if dry_run else "Retention purge done.")
        for line in lines:
            text = f"{line.category}: due {line.due}, purged {line.purged}"
            if line.note:
                text += f" ({line.note})"
            self.stdout.write(text)
