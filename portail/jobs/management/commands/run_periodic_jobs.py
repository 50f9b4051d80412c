import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from portail.jobs.periodic import SCHEDULE, TICK, run_due_jobs


class Command(BaseCommand):
    help = (
        "Run the periodic jobs that are due (portail/jobs/periodic.py: reconciliation of card "
        "payments, publications, digests, retention…). Safe on several machines at once: each "
        "run starts on one of them only. --loop keeps checking every 30 seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running (a service)")

    def handle(self, *args, loop=False, **options):
        self.running = True
        if loop:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        while True:
            for command in run_due_jobs(schedule=SCHEDULE):
                self.stdout.write(f"{command}: done")
            if not loop:
                return
            # A long-running process: drop a connection the database closed meanwhile.
            close_old_connections()
            # Sleep in short steps so that a stop signal ends the loop within a second.
            deadline = time.monotonic() + TICK.total_seconds()
            while self.running and time.monotonic() < deadline:
                time.sleep(1)
            if not self.running:
                return

    def stop(self, signum, frame):
        self.running = False
