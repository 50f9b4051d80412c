"""« PAYER MA FACTURE EN LIGNE » walked in Chromium against the PayFiP simulator: a family
logs in, opens an unpaid invoice, confirms the amount (with the keyboard), pays it by card on
PayFiP's page in the same tab, comes back to the portal and sees the invoice paid; every
portal page passes axe-core."""

import re
from decimal import Decimal

import pytest

from portail.billing.models import Invoice
from portail.payments.models import Payment, PaymentMethod

from .journeys import assert_accessible, durand_unpaid_invoice, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The return page checks every 3 s (without JavaScript, it reloads) until the answer is known.
RESULT_TIMEOUT_MS = 15_000


def test_family_pays_an_invoice_by_card_through_payfip(page, axe, portal_on_simulator):
    invoice = durand_unpaid_invoice()
    base = portal_on_simulator.url
    popups = []
    page.context.on("page", lambda popup: popups.append(popup))
    violations = {}
    checked = 0

    log_in(page, "durand.marie", base=base)
    assert page.url.endswith("/tableau-de-bord/")

    page.get_by_role("link", name=re.compile("^Mes factures")).click()
    text = " ".join(page.locator("main").inner_text().split())
    assert "FACTURE JEUNESSE 764 - Février 2022 — Facture non réglée : 29,00 €" in text
    page.get_by_role("link", name="FACTURE JEUNESSE 764 - Février 2022").click()
    assert page.get_by_role("heading", name="PAYER MA FACTURE EN LIGNE").is_visible()
    checked += 1
    assert_accessible(axe, page, violations)

    # RGAA 11.12: a confirmation step shows what will be paid and to whom.
    page.get_by_role("link", name="Payer par carte bancaire").click()
    page.get_by_role("heading", name="Confirmer le paiement par carte").wait_for()
    text = " ".join(page.locator("main").inner_text().split())
    assert "764" in text and "29,00 €" in text and "PayFiP" in text
    checked += 1
    assert_accessible(axe, page, violations)
    # Reachable with the keyboard alone: Tab to the button, Enter starts the payment.
    confirm = page.get_by_role("button", name="Confirmer et payer 29,00 €")
    for _ in range(40):
        page.keyboard.press("Tab")
        if confirm.evaluate("button => button === document.activeElement"):
            break
    else:
        raise AssertionError("the confirmation button is not reachable with Tab")
    # Same tab: the portal sends the family to PayFiP's page.
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(base + "/payfip-simulateur/tpa/paiementws.web")))
    assert page.get_by_role("heading", name="Paiement sécurisé").is_visible()
    assert "29,00" in page.locator("main, body").first.inner_text()
    page.get_by_role("button", name="Payer par carte (P)").click()

    # Back on the portal: « Paiement en cours… » until PayFiP's answer, then « terminé ».
    page.wait_for_url(re.compile(re.escape(base) + r"/(?!payfip-simulateur/)"))
    page.get_by_role("heading", name=re.compile("^Paiement (en cours…|terminé)$")).wait_for()
    checked += 1
    assert_accessible(axe, page, violations)
    page.get_by_role("heading", name="Paiement terminé").wait_for(timeout=RESULT_TIMEOUT_MS)
    text = " ".join(page.locator("main").inner_text().split())
    assert "Votre paiement de 29,00 € pour la facture 764 a bien été reçu" in text
    checked += 1
    assert_accessible(axe, page, violations)

    page.get_by_role("link", name="Retour à la facture").click()
    text = " ".join(page.locator("main").inner_text().split())
    assert "Facture réglée : 29,00 €" in text
    assert "PAYER MA FACTURE EN LIGNE" not in text
    checked += 1
    assert_accessible(axe, page, violations)
    page.get_by_role("link", name="Retour à mes factures").click()
    assert page.get_by_role("heading", name="MES FACTURES").is_visible()
    text = " ".join(page.locator("main").inner_text().split())
    assert "FACTURE JEUNESSE 764 - Février 2022 — Facture réglée : 29,00 €" in text
    checked += 1
    assert_accessible(axe, page, violations)

    assert popups == []
    payment = Payment.objects.get()
    assert payment.method == PaymentMethod.CARD_ONLINE
    assert payment.amount == Decimal("29.00")
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID
    assert violations == {}, "\n".join(violations.values())
    assert checked == 6
