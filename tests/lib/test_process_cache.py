"""The CGU version in force and the organisation, kept a minute in each process
(portail/lib/process_cache.py): how long, and what makes the process read them again."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from portail.accounts.middleware import TERMS_CACHED_SECONDS, terms_in_force
from portail.lib import process_cache
from portail.organisation.context_processors import organisation
from portail.organisation.models import Organisation, TermsVersion

# Outside a transaction, as in production (inside one the copy is never used).
pytestmark = pytest.mark.django_db(transaction=True)


class Clock:
    """Stands in for time.monotonic, which the copy's lifetime is measured with."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(process_cache, "time", clock)
    terms_in_force.forget()
    return clock


def publish(version: int, published_at):
    return TermsVersion.objects.create(version=version, text="CGU", published_at=published_at)


def test_a_change_made_elsewhere_shows_after_a_minute(clock, django_assert_num_queries):
    now = timezone.now()
    first = publish(1, now - datetime.timedelta(days=1))
    with django_assert_num_queries(1):
        assert terms_in_force.get() == ((first.pk, 1), None)
    with django_assert_num_queries(0):
        assert terms_in_force.get() == ((first.pk, 1), None)
    # Another node publishes: no signal here (a queryset update sends none either).
    TermsVersion.objects.bulk_create([TermsVersion(version=2, text="CGU", published_at=now)])
    second = TermsVersion.objects.get(version=2)
    clock.now += TERMS_CACHED_SECONDS - 1
    assert terms_in_force.get() == ((first.pk, 1), None)
    clock.now += 1
    assert terms_in_force.get() == ((second.pk, 2), None)


def test_a_version_saved_in_this_process_applies_at_once(clock):
    first = publish(1, timezone.now() - datetime.timedelta(days=1))
    assert terms_in_force.get() == ((first.pk, 1), None)
    second = publish(2, timezone.now())
    assert terms_in_force.get() == ((second.pk, 2), None)
    second.delete()
    assert terms_in_force.get() == ((first.pk, 1), None)


def test_a_version_scheduled_for_later_applies_at_its_time(clock):
    now = timezone.now()
    first = publish(1, now - datetime.timedelta(days=1))
    later = publish(2, now + datetime.timedelta(seconds=20))
    assert terms_in_force.get() == ((first.pk, 1), later.published_at)
    clock.now += 19
    assert terms_in_force.get()[0] == (first.pk, 1)
    with time_machine.travel(now + datetime.timedelta(seconds=21), tick=False):
        clock.now += 2
        assert terms_in_force.get() == ((later.pk, 2), None)


def test_the_organisation_saved_in_the_back_office_shows_on_the_next_page(clock, rf):
    Organisation.current()
    assert organisation(rf.get("/"))["organisation"].town_name == "Ma commune"
    row = Organisation.current()
    row.town_name = "Val-Nouveau"
    row.save()
    assert organisation(rf.get("/"))["organisation"].town_name == "Val-Nouveau"
