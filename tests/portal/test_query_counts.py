"""The family's pages cost the same number of queries whatever the size of the household
and of the database (select_related / prefetch_related, no query per row)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ContactFactory, GuardianFactory

from .families import make_family

# Every request pays: the session, the user, the CGU check (FamilyGateMiddleware), the
# person's guardian rows with their household (family_required, kept for the view) and the
# organisation (context processor): 5 queries. The session is saved at most once a minute
# (portail.lib.sessions), not on these requests. The rest is the page's own.
PAGE_QUERIES = {
    # + contact count, family scope ids, unpaid invoice count, unread notifications, latest
    # requests, direct-debit mandate
    "portal:dashboard": 11,
    "portal:my-space": 6,  # + nurseries
    "portal:household": 9,  # + households, guardians, children with nursery, nurseries
    "portal:contacts": 8,  # + households, contacts, nurseries
    "portal:child-detail": 7,  # + child with nursery, its households
}


def count_queries(client, page, family) -> int:
    if page == "portal:child-detail":
        url = reverse(page, kwargs={"reference": family.child.reference})
    else:
        url = reverse(page)
    client.get(url)  # the first request of a session also records when it started
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", PAGE_QUERIES)
def test_page_query_count_does_not_grow_with_the_data(client, page):
    small = make_family(name="Petit", children=1, contacts=1)
    client.force_login(small.user)
    small_count = count_queries(client, page, small)

    big = make_family(name="Grand", children=5, contacts=5)
    GuardianFactory(household=big.household, first_name="Paul", last_name="Grand")
    for index in range(20):
        other = make_family(name=f"Autre{index}", children=2, contacts=2)
        ContactFactory(household=other.household)
    client.force_login(big.user)
    big_count = count_queries(client, page, big)

    assert small_count == big_count == PAGE_QUERIES[page]
