from django.core.management.base import BaseCommand

from portail.notifications.services import retry_pending_emails


class Command(BaseCommand):
    help = "Queue again every e-mail of the outbox that is still pending (after an SMTP outage)."

    def handle(self, *args, **options):
        count = retry_pending_emails()
        self.stdout.write(f"{count} e-mail(s) queued.")
