"""Tell families about news, document versions and menus whose publication time has come.

Run every few minutes with the periodic jobs. Idempotent: each item is announced once
(``notified_at``); running it twice, or two copies at once, notifies nobody twice."""

from django.core.management.base import BaseCommand

from portail.content.services import announce_due_content


class Command(BaseCommand):
    help = "Notify families of content whose scheduled publication time has come."

    def handle(self, *args, **options):
        announced = announce_due_content()
        self.stdout.write(
            f"{announced.news} news, {announced.documents} documents, "
            f"{announced.menus} menus announced."
        )
