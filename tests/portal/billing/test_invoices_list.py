"""« MES FACTURES »: the family's invoices grouped by kind, what each one still asks for,
their credit and their latest payments."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from portail.billing.models import Invoice
from portail.billing.services import cancel_invoice
from portail.payments.models import PaymentMethod
from portail.payments.services import record_payment
from tests.factories import GuardianFactory, TermsVersionFactory, UserFactory

from ..families import make_family
from ..pages import text_of
from .conftest import draft_invoice, hours, issue_invoice

MARCH = datetime.date(2022, 3, 1)


def invoices_text(client, **params):
    return text_of(client.get(reverse("portal:invoices"), params))


def test_invoices_are_grouped_by_kind_with_what_each_still_asks_for(family_client, family, regie):
    issue_invoice(
        regie, family.household, family.guardian, number="764", lines=[hours(family.child, "11.6")]
    )
    issue_invoice(
        regie,
        family.household,
        family.guardian,
        number="765",
        kind="FACTURE PÉRISCOLAIRE",
        lines=[hours(family.child, "4", "3.10", label="Garderie du soir")],
    )

    text = invoices_text(family_client)

    assert "MES FACTURES" in text
    assert "Vous avez 2 factures non réglées" in text
    youth = text.index("FACTURE JEUNESSE FACTURE JEUNESSE 764 - Février 2022")
    after_school = text.index("FACTURE PÉRISCOLAIRE FACTURE PÉRISCOLAIRE 765 - Février 2022")
    assert youth < after_school
    assert "FACTURE JEUNESSE 764 - Février 2022 — Facture non réglée : 29,00 €" in text
    assert "FACTURE PÉRISCOLAIRE 765 - Février 2022 — Facture non réglée : 12,40 €" in text
    assert "Télécharger la facture 764 (PDF)" in text


def test_unpaid_count_says_invoice_in_the_singular_and_invoices_in_the_plural(
    family_client, family, regie
):
    assert "Vous avez 0 facture non réglée" in invoices_text(family_client)

    issue_invoice(
        regie, family.household, family.guardian, number="1", lines=[hours(family.child, "2")]
    )
    assert "Vous avez 1 facture non réglée" in invoices_text(family_client)

    issue_invoice(
        regie,
        family.household,
        family.guardian,
        number="2",
        period_on=MARCH,
        lines=[hours(family.child, "3")],
    )
    assert "Vous avez 2 factures non réglées" in invoices_text(family_client)
    dashboard = text_of(family_client.get(reverse("portal:dashboard")))
    assert "Mes factures Vous avez 2 factures non réglées" in dashboard


def test_paid_partially_paid_and_cancelled_invoices_are_marked_as_such(
    family_client, family, regie
):
    household, payer, child = family.household, family.guardian, family.child
    paid = issue_invoice(regie, household, payer, number="10", lines=[hours(child, "11.6")])
    partly = issue_invoice(
        regie, household, payer, number="11", period_on=MARCH, lines=[hours(child, "11.6")]
    )
    cancelled = issue_invoice(
        regie,
        household,
        payer,
        number="12",
        kind="FACTURE PÉRISCOLAIRE",
        lines=[hours(child, "4")],
    )
    record_payment(
        regie=regie,
        payer=payer,
        method=PaymentMethod.CASH,
        amount=Decimal("29.00"),
        received_on=datetime.date(2022, 2, 20),
        invoices=[paid],
    )
    record_payment(
        regie=regie,
        payer=payer,
        method=PaymentMethod.CASH,
        amount=Decimal("10.00"),
        received_on=datetime.date(2022, 3, 20),
        invoices=[partly],
    )
    cancel_invoice(invoice=cancelled, reason="Fermeture exceptionnelle de la garderie")

    text = invoices_text(family_client)

    assert "FACTURE JEUNESSE 10 - Février 2022 — Facture réglée : 29,00 €" in text
    assert "FACTURE JEUNESSE 11 - Mars 2022 — Reste à payer : 19,00 €" in text
    assert "FACTURE PÉRISCOLAIRE 12 - Février 2022 — Facture annulée" in text
    assert "Vous avez 1 facture non réglée" in text


def test_amounts_are_written_the_french_way(family_client, family, regie):
    issue_invoice(
        regie,
        family.household,
        family.guardian,
        number="900",
        lines=[hours(family.child, "493.8", "2.50")],
    )

    assert "Facture non réglée : 1 234,50 €" in invoices_text(family_client)


def test_draft_invoices_are_never_shown(family_client, family, regie):
    draft = draft_invoice(
        regie, family.household, family.guardian, lines=[hours(family.child, "11.6")]
    )

    text = invoices_text(family_client)

    assert "Vous avez 0 facture non réglée" in text
    assert "Aucune facture pour le moment." in text
    assert "29,00" not in text
    for name in ["portal:invoice-detail", "portal:invoice-pdf"]:
        response = family_client.get(reverse(name, kwargs={"reference": draft.reference}))
        assert response.status_code == 404


@pytest.fixture
def co_parent(family):
    """Paul, the second guardian of the Durand household, with his own account."""
    user = UserFactory(username="durand.paul", first_name="Paul", last_name="Durand")
    return GuardianFactory(
        household=family.household, user=user, first_name="Paul", last_name="Durand"
    )


def test_a_household_sharing_its_invoices_shows_them_to_every_guardian(
    client, family, co_parent, regie
):
    issue_invoice(
        regie, family.household, family.guardian, number="764", lines=[hours(family.child, "11.6")]
    )
    client.force_login(co_parent.user)

    text = invoices_text(client)

    assert "FACTURE JEUNESSE 764 - Février 2022 — Facture non réglée : 29,00 €" in text


def test_a_household_not_sharing_its_invoices_shows_each_guardian_only_their_own(
    client, family, co_parent, regie
):
    family.household.share_invoices_with_all_guardians = False
    family.household.save()
    marie = issue_invoice(
        regie, family.household, family.guardian, number="764", lines=[hours(family.child, "11.6")]
    )
    issue_invoice(
        regie,
        family.household,
        co_parent,
        number="765",
        kind="FACTURE PÉRISCOLAIRE",
        lines=[hours(family.child, "2")],
    )

    client.force_login(co_parent.user)
    text = invoices_text(client)
    assert "765 - Février 2022" in text
    assert "764" not in text
    detail = reverse("portal:invoice-detail", kwargs={"reference": marie.reference})
    assert client.get(detail).status_code == 404

    client.force_login(family.user)
    text = invoices_text(client)
    assert "764 - Février 2022" in text
    assert "765" not in text


def test_another_households_invoices_never_appear(family_client, family, regie):
    other = make_family(name="Bertin")
    issue_invoice(
        regie, other.household, other.guardian, number="999", lines=[hours(other.child, "40")]
    )

    text = invoices_text(family_client)

    assert "999" not in text
    assert "Vous avez 0 facture non réglée" in text


def test_credit_left_by_a_credit_note_is_shown(family_client, family, regie):
    invoice = issue_invoice(
        regie, family.household, family.guardian, number="764", lines=[hours(family.child, "11.6")]
    )
    record_payment(
        regie=regie,
        payer=family.guardian,
        method=PaymentMethod.CHEQUE,
        amount=Decimal("29.00"),
        received_on=datetime.date(2022, 2, 20),
    )
    assert "crédit" not in invoices_text(family_client)

    cancel_invoice(invoice=Invoice.objects.get(pk=invoice.pk), reason="Facturée par erreur")

    assert "Vous disposez d'un crédit de 29,00 € issu d'avoirs." in invoices_text(family_client)


def test_latest_payments_show_date_method_amount_and_receipt(family_client, family, regie):
    issue_invoice(
        regie, family.household, family.guardian, number="764", lines=[hours(family.child, "11.6")]
    )
    cheque = record_payment(
        regie=regie,
        payer=family.guardian,
        method=PaymentMethod.CHEQUE,
        amount=Decimal("20.00"),
        received_on=datetime.date(2022, 2, 20),
    )
    record_payment(
        regie=regie,
        payer=family.guardian,
        method=PaymentMethod.CASH,
        amount=Decimal("9.00"),
        received_on=datetime.date(2022, 2, 25),
    )

    response = family_client.get(reverse("portal:invoices"))
    text = text_of(response)

    assert "Mes derniers règlements" in text
    assert "25/02/2022 Espèces 9,00 €" in text
    assert "20/02/2022 Chèque 20,00 € sous réserve d'encaissement" in text
    assert f"Reçu {cheque.receipt_number} (PDF)" in text
    assert reverse("portal:receipt-pdf", kwargs={"reference": cheque.reference}) in (
        response.content.decode()
    )


def test_invoices_are_listed_24_to_a_page(family_client, family, regie):
    for month in range(1, 31):
        issue_invoice(
            regie,
            family.household,
            family.guardian,
            number=f"{month:03d}",
            period_on=datetime.date(2020 + (month - 1) // 12, (month - 1) % 12 + 1, 1),
            lines=[hours(family.child, "1")],
        )

    html = family_client.get(reverse("portal:invoices")).content.decode()
    assert 'href="?page=2" rel="next"' in html
    first = invoices_text(family_client)
    second = invoices_text(family_client, page=2)
    beyond = invoices_text(family_client, page="abc")

    assert first.count("Facture non réglée") == 24
    assert "Page 1 sur 2" in first and "Page suivante" in first
    assert second.count("Facture non réglée") == 6
    assert "Page 2 sur 2" in second and "Page précédente" in second
    assert "Vous avez 30 factures non réglées" in second
    assert beyond == first


@pytest.mark.parametrize(
    "name", ["portal:invoices", "portal:invoice-detail", "portal:invoice-pdf", "portal:paperless"]
)
def test_anonymous_visitor_is_sent_to_log_in(client, name, regie):
    kwargs = {"reference": "0f0e7b8e-7d3c-4b55-9a37-0c7cbd5c0a11"} if "invoice-" in name else {}
    url = reverse(name, kwargs=kwargs)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={url}"


def test_invoices_wait_until_the_current_terms_are_accepted(family_client, family, regie):
    invoice = issue_invoice(
        regie, family.household, family.guardian, number="764", lines=[hours(family.child, "1")]
    )
    TermsVersionFactory()

    for name in ["portal:invoices", "portal:paperless"]:
        response = family_client.get(reverse(name))
        assert response["Location"] == reverse("portal:terms")
    for name in ["portal:invoice-detail", "portal:invoice-pdf"]:
        response = family_client.get(reverse(name, kwargs={"reference": invoice.reference}))
        assert response["Location"] == reverse("portal:terms")
