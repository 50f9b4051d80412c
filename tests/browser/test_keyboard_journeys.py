"""A11Y-02: journeys a family completes with the keyboard alone (Tab, Shift+Tab, Enter,
Space and typing; no click), every stop visibly focused (RGAA 10.7), in an order that
reaches every control of each form (12.8), with no trap (12.9).

Logging in and reaching one's data is walked in test_trust.py; here: signing a SEPA mandate
(MES PRÉLÈVEMENTS: the account form, the mandate, the code e-mailed, the mandate signed) and
paying an invoice from the login to PayFiP's page."""

import re

import pytest

from portail.direct_debits.models import Mandate
from portail.notifications.models import OutgoingEmail
from tests.factories import DEFAULT_PASSWORD
from tests.security.figures import record

from .journeys import durand_unpaid_invoice, martin_family_with_direct_debit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_STOPS = 80  # more Tab presses than any page has stops: beyond, the target is unreachable
IBAN = "FR76 3000 6000 0112 3456 7890 189"

# The focused element, described, and whether its focus is drawn (an outline or a shadow).
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute("href") || "",
    text: (el.innerText || el.value || "").trim().slice(0, 60),
    visible: outline || style.boxShadow !== "none",
  };
}"""


class Journey:
    """The stops of one keyboard journey; fails at the first stop without visible focus."""

    def __init__(self, page):
        self.page = page
        self.stops = []

    def focused(self) -> dict:
        return self.page.evaluate(FOCUSED)

    def tab_to(self, matches, *, backwards=False) -> dict:
        """Press Tab (Shift+Tab) until the focused element matches; every stop on the way
        must show its focus."""
        for _ in range(MAX_STOPS):
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            stop = self.focused()
            self.stops.append(stop)
            assert stop["visible"], f"focus not visible on {stop} ({self.page.url})"
            if matches(stop):
                return stop
        raise AssertionError(f"not reached with the keyboard on {self.page.url}: {self.stops}")

    def press(self, key: str, *, navigates=True) -> None:
        if navigates:
            with self.page.expect_navigation():
                self.page.keyboard.press(key)
        else:
            self.page.keyboard.press(key)

    def form_order(self) -> list[str]:
        """The ids of the visible fields and buttons of the page's main form, in DOM order."""
        return self.page.eval_on_selector(
            "main form",
            """form => [...form.querySelectorAll("input, select, textarea, button")]
                 .filter(el => el.type !== "hidden" && !el.hidden && el.offsetParent !== null)
                 .map(el => el.id || el.textContent.trim())""",
        )


def by_id(element_id):
    return lambda stop: stop["id"] == element_id


def by_href(href):
    return lambda stop: stop["href"] == href


def log_in(journey: Journey, username: str) -> None:
    page = journey.page
    page.goto("/connexion/")
    if journey.focused()["id"] != "id_username":
        journey.tab_to(by_id("id_username"))
    page.keyboard.type(username)
    journey.tab_to(by_id("id_password"))
    page.keyboard.type(DEFAULT_PASSWORD)
    journey.press("Enter")
    assert "/connexion/" not in page.url


def test_a_family_signs_a_mandate_with_the_keyboard_only(page, live_server):
    martin_family_with_direct_debit()
    journey = Journey(page)
    record("keyboard", journeys=1)

    log_in(journey, "camille.martin")
    journey.tab_to(by_href("/mes-prelevements/"))
    journey.press("Enter")
    assert page.get_by_role("heading", name="MES PRÉLÈVEMENTS", level=1).is_visible()
    journey.tab_to(by_href("/mes-prelevements/demande/"))
    journey.press("Enter")

    # Step 1: the account. Tab reaches every field of the form in order, then the button.
    fields = journey.form_order()
    first = len(journey.stops)
    journey.tab_to(by_id("id_iban"))
    page.keyboard.type(IBAN)
    journey.tab_to(lambda stop: stop["tag"] == "button" and "mandat" in stop["text"])
    reached = [stop["id"] or stop["text"] for stop in journey.stops[first:]]
    assert [name for name in reached if name in fields] == fields, (fields, reached)
    # Shift+Tab goes back through the same fields: the order is the same both ways.
    journey.tab_to(by_id("id_iban"), backwards=True)
    journey.tab_to(lambda stop: stop["tag"] == "button" and "mandat" in stop["text"])
    journey.press("Enter")
    assert "/mes-prelevements/signature/" in page.url
    assert "FR76 **** **** **** **** ***0 189" in page.locator("main").inner_text()

    # Step 2: read the mandate, tick the consent with Space, type the code e-mailed.
    email = OutgoingEmail.objects.get(kind="direct_debit_code")
    code = re.search(r"\b(\d{6})\b", email.body_text).group(1)
    fields = journey.form_order()
    first = len(journey.stops)
    journey.tab_to(by_id("id_consent"))
    journey.press("Space", navigates=False)
    assert page.locator("#id_consent").is_checked()
    journey.tab_to(by_id("id_code"))
    page.keyboard.type(code)
    journey.tab_to(lambda stop: stop["tag"] == "button" and stop["text"] == "Signer le mandat")
    reached = [stop["id"] or stop["text"] for stop in journey.stops[first:]]
    assert [name for name in reached if name in fields] == fields, (fields, reached)
    journey.press("Enter")

    mandate = Mandate.objects.get()
    assert page.url.endswith(f"/mes-prelevements/mandats/{mandate.reference}/signe/")
    assert page.get_by_role("heading", name="Votre mandat est signé", level=1).is_visible()
    journey.tab_to(by_href("/mes-prelevements/"))
    journey.press("Enter")
    text = " ".join(page.locator("main").inner_text().split())
    assert mandate.status == Mandate.Status.ACTIVE
    assert f"Mandat de prélèvement {mandate.rum}" in text
    assert "Statut : actif" in text and "***0 189" in text
    record("keyboard", journeys_passed=1)


def test_a_family_pays_an_invoice_with_the_keyboard_only(page, portal_on_simulator):
    """From the login to PayFiP's page: MES FACTURES, the invoice, the confirmation step."""
    invoice = durand_unpaid_invoice()
    page.goto(portal_on_simulator.url + "/")  # the context's base URL is the live server's
    journey = Journey(page)
    record("keyboard", journeys=1)

    log_in(journey, "durand.marie")
    journey.tab_to(by_href("/mes-factures/"))
    journey.press("Enter")
    journey.tab_to(by_href(f"/mes-factures/{invoice.reference}/"))
    journey.press("Enter")
    journey.tab_to(by_href(f"/mes-factures/{invoice.reference}/payer/"))
    journey.press("Enter")
    assert page.get_by_role("heading", name="Confirmer le paiement par carte").is_visible()
    journey.tab_to(lambda stop: stop["tag"] == "button" and "29,00" in stop["text"])
    with page.expect_navigation(url=re.compile(r".*/payfip-simulateur/tpa/paiementws\.web.*")):
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", name="Paiement sécurisé").is_visible()
    assert "29,00" in page.locator("body").inner_text()
    record("keyboard", journeys_passed=1)
