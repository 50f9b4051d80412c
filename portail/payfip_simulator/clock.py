"""The simulator's clock: the wall clock (or time-machine's) plus an offset stored in the
database, so a test or the control page moves time for every thread of a live server."""

from datetime import datetime, timedelta

from django.utils import timezone

from .models import SimulatorState


def now() -> datetime:
    offset = (
        SimulatorState.objects.filter(pk=1).values_list("clock_offset_seconds", flat=True).first()
    )
    return timezone.now() + timedelta(seconds=offset or 0)
