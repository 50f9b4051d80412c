"""« MES FACTURES » walked in Chromium: a family logs in, reads its invoices, opens one,
downloads its PDF and opts in to paperless invoices; every page passes axe-core."""

import datetime
import re
from decimal import Decimal

import pytest

from portail.billing.models import Invoice
from portail.billing.services import create_regie
from portail.households.models import Household
from portail.payments.models import PaymentMethod
from portail.payments.services import record_payment
from tests.portal.billing.conftest import store_pdf

from .journeys import assert_accessible, durand_family, issue_february_invoice, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def issue(regie, guardian, child, *, kind, number, quantity):
    invoice = issue_february_invoice(
        regie, guardian, child, kind=kind, number=number, quantity=quantity
    )
    invoice.refresh_from_db()
    if not invoice.pdf:  # the worker renders it on commit; without it, a stand-in
        store_pdf(invoice, "pdf", b"%PDF-1.4\n% facture\n%%EOF\n")
    return invoice


def test_family_reads_downloads_an_invoice_and_opts_in_to_paperless(page, axe, live_server):
    guardian, child = durand_family()
    regie = create_regie(name="Régie Petite Enfance", payment_delay_days=28)
    unpaid = issue(regie, guardian, child, kind="FACTURE JEUNESSE", number="764", quantity="11.6")
    paid = issue(regie, guardian, child, kind="FACTURE PÉRISCOLAIRE", number="765", quantity="4")
    record_payment(
        regie=regie,
        payer=guardian,
        method=PaymentMethod.CHEQUE,
        amount=Decimal("10.00"),
        received_on=datetime.date(2022, 2, 15),
        invoices=[paid],
    )
    violations = {}
    checked = 0

    log_in(page, "durand.marie")
    assert page.url.endswith("/tableau-de-bord/")
    assert page.get_by_text("Vous avez 1 facture non réglée").is_visible()

    # The dashboard tile leads to MES FACTURES, grouped by kind.
    page.get_by_role("link", name=re.compile("^Mes factures")).click()
    assert page.url.endswith("/mes-factures/")
    assert page.get_by_role("heading", name="MES FACTURES").is_visible()
    assert page.get_by_role("heading", name="FACTURE JEUNESSE").is_visible()
    assert page.get_by_role("heading", name="FACTURE PÉRISCOLAIRE").is_visible()
    text = " ".join(page.locator("main").inner_text().split())
    assert "FACTURE JEUNESSE 764 - Février 2022 — Facture non réglée : 29,00 €" in text
    assert "FACTURE PÉRISCOLAIRE 765 - Février 2022 — Facture réglée : 10,00 €" in text
    assert "sous réserve d'encaissement" in text
    checked += 1
    assert_accessible(axe, page, violations)

    # The invoice, then its stored PDF.
    page.get_by_role("link", name="FACTURE JEUNESSE 764 - Février 2022").click()
    assert page.get_by_role("heading", name="FACTURE JEUNESSE 764 - Février 2022").is_visible()
    text = " ".join(page.locator("main").inner_text().split())
    assert "Payeur : Madame Marie Durand" in text
    assert "Facture du 09/02/2022 à régler avant le 09/03/2022" in text
    assert "Sous-total pour Léa Durand 29,00 €" in text
    assert "PAYER MA FACTURE EN LIGNE" in text
    checked += 1
    assert_accessible(axe, page, violations)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="TÉLÉCHARGER MA FACTURE").click()
    download = download_info.value
    assert download.suggested_filename == "facture-764.pdf"
    with open(download.path(), "rb") as downloaded:
        content = downloaded.read()
    stored = Invoice.objects.get(pk=unpaid.pk).pdf
    with stored.open("rb") as original:
        assert content == original.read()
    assert content.startswith(b"%PDF")

    # « ADHÉSION À LA FACTURE/COMPTE EN LIGNE ».
    page.get_by_role("link", name="ADHÉSION À LA FACTURE/COMPTE EN LIGNE").click()
    assert page.get_by_role("heading", name="ADHÉSION À LA FACTURE/COMPTE EN LIGNE").is_visible()
    checked += 1
    assert_accessible(axe, page, violations)
    page.get_by_label(re.compile("^Famille Durand : j'adhère à la facture en ligne")).check()
    page.get_by_role("button", name="Enregistrer mon choix").click()
    assert page.get_by_text("Votre choix est enregistré.").is_visible()
    assert page.get_by_text("Actuellement : factures en ligne uniquement.").is_visible()
    assert Household.objects.get(pk=guardian.household_id).paperless_invoices is True
    checked += 1
    assert_accessible(axe, page, violations)

    assert violations == {}, "\n".join(violations.values())
    assert checked == 4
