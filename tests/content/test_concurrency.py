"""Two first visits to MON ACCUEIL at the same moment (two tabs opened together) both get the
page: the second does not fail on the one-visit-row-per-guardian constraint."""

import datetime
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from portail.content.models import HomeVisit
from portail.content.services import record_home_visit

THREADS = 6


def test_a_first_visit_recorded_meanwhile_by_another_tab_is_not_an_error(
    durand, monkeypatch, settings
):
    now = timezone.now()
    other_tab = HomeVisit.objects.create(user=durand.user, visited_at=now, new_since=now)
    # The other tab's row appears after this visit looked for it (and found none).
    monkeypatch.setattr(HomeVisit.objects, "select_for_update", HomeVisit.objects.none)

    since = record_home_visit(user=durand.user, now=now)

    assert since == now - datetime.timedelta(days=settings.CONTENT_NEW_DAYS_FIRST_VISIT)
    assert list(HomeVisit.objects.values_list("pk", flat=True)) == [other_tab.pk]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_simultaneous_first_visits_all_get_the_page(durand):
    barrier = threading.Barrier(THREADS)
    outcomes = []

    def visit():
        try:
            barrier.wait()
            outcomes.append(record_home_visit(user=durand.user))
        except Exception as error:  # reported below
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=visit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(isinstance(outcome, datetime.datetime) for outcome in outcomes), outcomes
    assert len(outcomes) == THREADS
    assert HomeVisit.objects.filter(user=durand.user).count() == 1
