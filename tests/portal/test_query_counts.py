"""The family's pages cost the same number of queries whatever the size of the household
and of the database (select_related / prefetch_related, no query per row)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portail.billing.models import Invoice
from portail.direct_debits.templatetags.direct_debits import direct_debit_tile
from portail.households.models import Contact
from portail.notifications.models import Notification, NotificationCategory
from portail.organisation.models import Organisation, TermsVersion
from portail.portal.views.family import _tile_figures
from portail.portal.views.notifications import unread_tiles
from tests.factories import ContactFactory, CreditNoteFactory, GuardianFactory, InvoiceFactory
from tests.trust.world import make_rich_family

from .families import make_family

# Every request pays: the session, the user, the CGU version in force (FamilyGateMiddleware),
# the person's guardian rows with their household (family_required, kept for the view, and
# the scope of their invoices) and the organisation (context processor): 5 queries. The
# session is saved at most once a minute (portail.lib.sessions), not on these requests. The
# rest is the page's own. In production two of the five are not read on most requests: the
# CGU version and the organisation stay a minute in each process (test below); inside a
# test's transaction they are read every time.
PAGE_QUERIES = {
    # + the tiles' counts and the current mandate (one query), the latest requests
    "portal:dashboard": 7,
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


@pytest.mark.django_db(transaction=True)
def test_in_production_the_cgu_version_and_the_organisation_are_not_read_on_every_page(client):
    """Outside a test's transaction, as in production: the CGU version in force and the
    organisation stay a minute in the process, so a dashboard costs two queries fewer; a
    version published or an organisation saved in this process applies at the next page."""
    Organisation.current()  # the single settings row, created on first read
    family = make_family(name="Cache")
    client.force_login(family.user)
    url = reverse("portal:dashboard")
    assert count_queries(client, "portal:dashboard", family) == PAGE_QUERIES["portal:dashboard"] - 2

    organisation = Organisation.current()
    organisation.town_name = "Val-Nouveau"
    organisation.save()
    TermsVersion.objects.create(version=1, text="Les CGU.", published_at=timezone.now())
    response = client.get(url, follow=True)

    assert response.redirect_chain == [(reverse("portal:terms"), 302)]
    assert "Val-Nouveau" in response.content.decode()


def test_the_dashboard_tiles_count_what_the_querysets_count():
    """The dashboard's one-query figures (hand-written SQL) against the querysets they stand
    for, on a household with everything: contacts, invoices shared between its guardians,
    credit notes, notifications, a mandate, requests."""
    from portail.portal.views.billing import _available_credit, _summary

    rich = make_rich_family("Tuiles")
    assert not rich.failed
    user, household = rich.user, rich.household
    household.share_invoices_with_all_guardians = True
    household.save()
    other = GuardianFactory(household=household, first_name="Paul", last_name="Tuiles")
    regie = Invoice.objects.filter(household=household).first().regie
    InvoiceFactory(regie=regie, kind=regie.kinds.first(), household=household, payer=other)
    due = Invoice.objects.visible_to(user).unpaid().first()
    CreditNoteFactory(
        invoice=due, amount=Decimal("3.00"), applied_amount=Decimal("0.00"), number="AV-TUILES-2"
    )
    Notification.objects.create(
        recipient=user, household=household, category=NotificationCategory.NEWS,
        label="Fête de la crèche", url="/actualites/", delivery="never",
    )  # fmt: skip

    figures = _tile_figures(user, [household.pk])
    unread = unread_tiles(Notification.objects.for_user(user).unread_counts())
    mandate = direct_debit_tile(user)
    assert figures == {
        "contact_count": Contact.objects.for_user(user).count(),
        "unpaid_invoice_count": Invoice.objects.visible_to(user).unpaid().count(),
        **{f"unread_{tile}": count for tile, count in unread.items()},
        "mandate_status": mandate.status,
        "next_debit_on": mandate.next_debit_on,
        "next_debit_amount": mandate.next_debit_amount,
    }
    # The other guardian's invoice is counted: the household shares its invoices.
    assert figures["contact_count"] == 2 and figures["unpaid_invoice_count"] == 3
    assert figures["unread_invoices"] == 1 and figures["unread_news"] == 1
    assert _summary(user) == {
        "count": Invoice.objects.visible_to(user).count(),
        "unpaid_count": 3,
        "available_credit": _available_credit(user),
    }
