from django.core.management.base import BaseCommand

from portail.notifications.services import send_notification_digests


class Command(BaseCommand):
    help = (
        "E-mail each family member the daily summary of their unread notifications (those "
        "they chose to receive once a day). Run once a day; running it again sends nothing more."
    )

    def handle(self, *args, **options):
        count = send_notification_digests()
        self.stdout.write(f"{count} summary e-mail(s) queued.")
