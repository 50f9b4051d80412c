"""Two members of staff accepting the same request at the same moment apply it once
(PostgreSQL: SQLite serialises writers anyway and ignores select_for_update)."""

import threading

import pytest
from django.db import connection, connections

from portail.households import services
from portail.households.models import Contact, HouseholdChange, RequestKind, RequestStatus
from tests.factories import StaffUserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]
THREADS = 6


def test_concurrent_accepts_add_the_contact_once(family):
    staff = [StaffUserFactory() for _ in range(THREADS)]
    for member in staff:
        family.nursery.staff.add(member)
    request = services.submit_request(
        household=family.household,
        kind=RequestKind.CONTACT_ADD,
        submitted_by=family.user,
        payload={
            "first_name": "Paul",
            "last_name": "Girard",
            "relationship": "voisin",
            "mobile_phone": "06 10 20 30 40",
            "other_phone": "",
            "can_pick_up": True,
            "is_emergency_contact": False,
        },
    )
    barrier = threading.Barrier(THREADS)
    outcomes = []

    def accept(member):
        try:
            barrier.wait()
            services.accept_request(request=request, staff=member)
            outcomes.append("accepted")
        except services.RequestTransitionError:
            outcomes.append("refused")
        except Exception as error:  # reported below
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(member,)) for member in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted"] + ["refused"] * (THREADS - 1)
    assert Contact.objects.filter(household=family.household, first_name="Paul").count() == 1
    assert HouseholdChange.objects.filter(request=request).count() == 1
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED
