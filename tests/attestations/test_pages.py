"""ÉDITION DE DOCUMENTS: the certificates a family can download, their PDF text, and that a
family only ever gets its own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from portail.payments.models import PaymentMethod
from tests.portal.families import make_family

from .conftest import D, hours, invoice, pay, pdf_text

PAGE = reverse("portal:documents")
PAYMENT_PDF = reverse("portal:payment-certificate-pdf")


def french(message: str, **values) -> str:
    with translation.override("fr"):
        return gettext(message).format(**values)


def tax_url(year_, payer, regie):
    return reverse("portal:tax-certificate-pdf", args=[year_, payer.reference, regie.pk])


@pytest.fixture
def marie(client, year):
    client.force_login(year.family.user)
    return year


def test_page_lists_a_tax_certificate_per_year_and_payer(client, marie):
    html = client.get(PAGE).content.decode()

    family, partner, regie = marie.family, marie.partner, marie.regie
    for year_, payer in [(2026, family.guardian), (2025, family.guardian), (2024, family.guardian)]:
        assert f'href="{tax_url(year_, payer, regie)}"' in html
    assert f'href="{tax_url(2025, partner, regie)}"' in html, "the household shares its invoices"
    assert f'href="{tax_url(2024, partner, regie)}"' not in html
    assert html.index(tax_url(2026, family.guardian, regie)) < html.index(
        tax_url(2024, family.guardian, regie)
    ), "newest year first"
    assert f'action="{PAYMENT_PDF}"' in html
    assert 'type="date"' in html
    assert "INVALID_TEMPLATE_VARIABLE" not in html


def test_page_without_payments_says_there_is_nothing_to_certify(client):
    family = make_family(name="Durand")
    client.force_login(family.user)

    html = client.get(PAGE).content.decode()

    # {% translate %} writes the sentence as it is (not escaped).
    assert french("No payment has been recorded yet: there is no certificate to make.") in html
    assert "<form" not in html.split('id="certificates-title"')[1].split("</section>")[0]


def test_tax_certificate_pdf_says_the_amounts_per_child_and_the_rule(client, marie):
    response = client.get(tax_url(2025, marie.family.guardian, marie.regie))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="attestation-fiscale-2025.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert french("TAX CERTIFICATE — CHILDCARE COSTS {year}", year=2025) in text
    assert "Régie Petite Enfance" in text
    assert "Marie Martin" in text
    assert "188,33 €" in text
    assert "61,67 €" in text
    assert "250,00 €" in text
    assert "Hugo" not in text
    assert "CMG" in text
    assert "200 quater B" in text


def test_payment_certificate_pdf_lists_the_payments_of_the_period(client, marie):
    response = client.get(
        PAYMENT_PDF,
        {
            "account": f"{marie.family.household.reference}:{marie.regie.pk}",
            "start_on": "2025-01-01",
            "end_on": "2025-04-30",
        },
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert french("PAYMENT CERTIFICATE") in text
    assert "Famille Martin" in text
    for number in ("A", "B", "C", "D", "F"):
        assert marie.invoices[number].number in text
    assert marie.invoices["E"].number not in text, "paid in May"
    assert "160,00 €" in text
    assert "340,00 €" in text


@pytest.mark.parametrize(
    ("start_on", "end_on"),
    [("2025-05-01", "2025-01-01"), ("pas une date", "2025-01-01"), ("1990-01-01", "2025-01-01")],
)
def test_payment_certificate_with_a_bad_period_shows_the_page_with_a_message(
    client, marie, start_on, end_on
):
    account = f"{marie.family.household.reference}:{marie.regie.pk}"
    response = client.get(PAYMENT_PDF, {"account": account, "start_on": start_on, "end_on": end_on})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert 'class="errorlist' in response.content.decode() or "message--error" in (
        response.content.decode()
    )


def test_family_cannot_get_another_households_tax_certificate(client, marie):
    durand = make_family(name="Durand")
    client.force_login(durand.user)

    response = client.get(tax_url(2025, marie.family.guardian, marie.regie))

    assert response.status_code == 404


def test_family_cannot_get_another_households_payment_certificate(client, marie):
    durand = make_family(name="Durand")
    other = invoice(
        marie.regie, durand.guardian, D(2025, 1, 1), D(2025, 2, 1), hours(durand.child, "4", "2.50")
    )
    pay(marie.regie, durand.guardian, other, "10.00", D(2025, 2, 10), PaymentMethod.CASH)
    client.force_login(durand.user)

    response = client.get(
        PAYMENT_PDF,
        {
            "account": f"{marie.family.household.reference}:{marie.regie.pk}",
            "start_on": "2025-01-01",
            "end_on": "2025-12-31",
        },
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Famille Martin" not in response.content.decode()


def test_payer_who_does_not_share_invoices_is_not_offered_the_co_payers_certificate(client, marie):
    household = marie.family.household
    household.share_invoices_with_all_guardians = False
    household.save()

    html = client.get(PAGE).content.decode()
    response = client.get(tax_url(2025, marie.partner, marie.regie))

    assert tax_url(2025, marie.partner, marie.regie) not in html
    assert response.status_code == 404


def test_unknown_year_or_regie_is_not_found(client, marie):
    guardian = marie.family.guardian
    assert client.get(tax_url(1900, guardian, marie.regie)).status_code == 404
    url = reverse("portal:tax-certificate-pdf", args=[2025, guardian.reference, 999_999])
    assert client.get(url).status_code == 404


def count_queries(client, url, data=None) -> int:
    client.get(url, data)  # the first request of a session also records when it started
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data)
    assert response.status_code == 200
    return len(queries)


def test_documents_page_query_count_does_not_grow_with_the_payments(client, regie):
    def family_with_payments(name, count):
        family = make_family(name=name)
        for index in range(count):
            bill = invoice(
                regie,
                family.guardian,
                D(2020 + index, 1, 1),
                D(2020 + index, 2, 1),
                hours(family.child, "4", "2.50"),
            )
            pay(regie, family.guardian, bill, "10.00", D(2020 + index, 2, 10))
        return family

    small, big = family_with_payments("Petit", 1), family_with_payments("Grand", 5)
    client.force_login(small.user)
    small_count = count_queries(client, PAGE)
    client.force_login(big.user)
    big_count = count_queries(client, PAGE)

    # 8 for every family page (tests/portal/test_query_counts.py), + the family scope ids,
    # the certificates offered, and the official documents (nurseries, documents, versions).
    assert small_count == big_count
    assert big_count <= 13


def test_tax_certificate_query_count_does_not_grow_with_the_payments(client, marie, regie):
    url = tax_url(2025, marie.family.guardian, marie.regie)
    small_count = count_queries(client, url)
    extra = invoice(
        regie,
        marie.family.guardian,
        D(2025, 6, 1),
        D(2025, 7, 1),
        hours(marie.leo, "4", "2.50"),
        hours(marie.emma, "4", "2.50"),
    )
    for day in (1, 2, 3):
        pay(regie, marie.family.guardian, extra, "5.00", D(2025, 7, day))

    assert count_queries(client, url) == small_count
