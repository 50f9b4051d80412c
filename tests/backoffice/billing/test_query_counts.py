"""The invoice list costs the same number of queries with 10 or 200 invoices."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portail.billing.services import issue_invoices
from tests.factories import ChildFactory, GuardianFactory, HouseholdFactory

from .conftest import make_draft

URL = reverse("admin:billing_invoice_changelist")


def make_invoices(regie, nursery, count):
    drafts = []
    for _ in range(count):
        household = HouseholdFactory(nursery=nursery)
        GuardianFactory(household=household)
        ChildFactory(household=household, nursery=nursery)
        drafts.append(make_draft(regie, household))
    # Half issued, half drafts: both kinds of rows are on the page.
    issue_invoices(invoices=drafts[::2])


def queries_for(client) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(URL)
    assert response.status_code == 200
    return len(context)


# Session, user and device (3), the organisation (3), the filters' choices: régies, kinds,
# months (newest and oldest), nurseries (4), the filtered count (1, no full count), the page
# (1); no date hierarchy, and the session is saved at most once a minute (portail.lib.sessions).
# Nursery staff have one more, for their nurseries.
@pytest.mark.parametrize("client_fixture, expected", [("admin_client", 12), ("staff_client", 13)])
def test_the_invoice_list_costs_a_fixed_number_of_queries(
    request, client_fixture, expected, regie, pic_et_plume
):
    client = request.getfixturevalue(client_fixture)
    make_invoices(regie, pic_et_plume, 10)
    queries_for(client)  # the first page of a session also reads what it caches
    with_ten = queries_for(client)
    make_invoices(regie, pic_et_plume, 190)
    with_two_hundred = queries_for(client)

    assert with_ten == with_two_hundred
    assert with_ten == expected
