"""Mark as lapsed (« caduc ») the mandates with no collection for 36 months. Run daily."""

from django.core.management.base import BaseCommand

from portail.direct_debits.services import lapse_mandates


class Command(BaseCommand):
    help = "Mandates with no collection presented for 36 months become lapsed."

    def handle(self, *args, **options):
        count = lapse_mandates()
        self.stdout.write(f"{count} mandate(s) lapsed.")
