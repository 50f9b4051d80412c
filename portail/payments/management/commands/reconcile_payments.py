from django.core.management.base import BaseCommand

from portail.payments.services import reconcile_online_payments


class Command(BaseCommand):
    help = (
        "Ask PayFiP about every online payment still running between 5 minutes and 3 hours "
        "old, and record those it says are paid. Run it every few minutes (cron)."
    )

    def handle(self, *args, **options):
        counts = reconcile_online_payments()
        summary = ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))
        self.stdout.write(f"Online payments checked: {sum(counts.values())} ({summary or '-'})")
