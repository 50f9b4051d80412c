"""A11Y-01 for the family side, generated from the URL resolver: every route of the portal
(and the other non-staff routes) is scanned by axe-core in Chromium, in three states —
« empty » (a newly activated family with a household and nothing else), « filled » (the
rich family A of tests/trust/world.py, plus news, menus and documents) and « error » (every
form of those pages submitted empty, browser validation out of the way, so that the French
error messages show) — along with the account pages a visitor sees (login, lockout,
activation and reset links, forgotten password, forced change, CGU, legal pages).

Pages are found, not listed: the walk starts from every route without arguments and from
family A's objects filling the others (tests/trust), then follows the links of every page
it scans. A route that answers no HTML page (a file, a POST-only action, a redirect, a
server-to-server callback) must be listed in NOT_PAGES with its reason, and the answer seen
must match that reason; a route neither scanned nor listed fails the test. Every filled page
is also laid out at 320 px wide (A11Y-05, RGAA 10.11): no horizontal scroll."""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from portail.accounts.models import AccountLink
from portail.accounts.services import accept_terms, issue_account_link
from portail.billing.services import create_regie
from portail.payments.models import OnlinePayment
from tests.content.factories import (
    MenuDishFactory,
    MenuFactory,
    NewsFactory,
    OfficialDocumentFactory,
    PracticalPageFactory,
    add_version,
)
from tests.factories import DEFAULT_PASSWORD, InvoiceFactory, TermsVersionFactory
from tests.portal.families import make_family
from tests.security.figures import record
from tests.trust.routes import production_routes
from tests.trust.world import make_rich_family, objects_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATES = ("empty", "filled", "error")
# Several URLs of one route are scanned when the pages differ (each kind of request, a paid
# and an unpaid invoice…); beyond this many they are the same template again.
URLS_PER_ROUTE = 6
NARROW = {"width": 320, "height": 800}
WIDE = {"width": 1280, "height": 800}
NEW_PASSWORD = "Marronniers-2027"
AXE_OPTIONS = {"resultTypes": ["violations", "incomplete"]}


@dataclass(frozen=True)
class NotAPage:
    answer: str  # what a GET must answer: "file", "post only", "redirect", "callback", "404"
    reason: str


FILE, POST_ONLY, REDIRECT, CALLBACK, DEBUG_ONLY = "file", "post only", "redirect", "callback", "404"

NOT_PAGES = {
    "portal:logout": NotAPage(POST_ONLY, "logs out (POST), then shows the login page"),
    "portal:session-extend": NotAPage(POST_ONLY, "extends the session (POST) and goes back"),
    "portal:notifications-mark-all-read": NotAPage(POST_ONLY, "a button of the notifications"),
    "portal:direct-debit-resend-code": NotAPage(POST_ONLY, "a button of the signature page"),
    "portal:account-link": NotAPage(
        REDIRECT, "moves the e-mailed token into the session, then the password page"
    ),
    "portal:notification-open": NotAPage(REDIRECT, "marks it read, then the page it is about"),
    "portal:my-data-json": NotAPage(FILE, "the JSON export of the family's data"),
    "portal:request-attachment": NotAPage(FILE, "the file the family attached to a request"),
    "portal:news-image": NotAPage(FILE, "the image of a news item"),
    "portal:news-attachment": NotAPage(FILE, "the attachment of a news item"),
    "portal:news-event-ics": NotAPage(FILE, "the calendar file of an event"),
    "portal:payment-certificate-pdf": NotAPage(
        FILE, "the PDF of the documents page's form; its error page is scanned in « error »"
    ),
    "portal:tax-certificate-pdf": NotAPage(FILE, "a tax certificate (PDF)"),
    "portal:menu-pdf": NotAPage(FILE, "a menu (PDF)"),
    "portal:official-document-file": NotAPage(FILE, "an official document (PDF)"),
    "portal:invoice-pdf": NotAPage(FILE, "an invoice (PDF; its HTML page is scanned)"),
    "portal:credit-note-pdf": NotAPage(FILE, "a credit note (PDF)"),
    "portal:receipt-pdf": NotAPage(FILE, "a receipt (PDF)"),
    "portal:direct-debit-mandate-pdf": NotAPage(FILE, "the signed mandate (PDF)"),
    "portal:payment-notification": NotAPage(CALLBACK, "the payment service's server calls it"),
    "set_language": NotAPage(REDIRECT, "the language buttons of every header POST there"),
    "health": NotAPage(FILE, "the load balancers' health check"),
    "notifications:outbox-list": NotAPage(DEBUG_ONLY, "the developers' outbox (DEBUG only)"),
    "notifications:outbox-detail": NotAPage(DEBUG_ONLY, "the developers' outbox (DEBUG only)"),
    "notifications:outbox-attachment": NotAPage(DEBUG_ONLY, "the developers' outbox (DEBUG only)"),
}

# Violations known and not fixed here, with why; counted in the figures all the same.
KNOWN_VIOLATIONS: dict = {}

# Forms that no empty or wrong input can refuse, so they have no error state: not submitted.
NO_ERROR_STATE = {
    "portal:notification-preferences": "radio buttons, one always chosen: every answer is valid",
    "portal:paperless": "one checkbox: ticked and not ticked are both valid",
    "portal:account-closure": "an optional message; submitting sends the closure request",
}


def family_routes():
    """Every route a family or a visitor may request: all but /gestion/ (the staff's)."""
    return {route.name: route for route in production_routes() if route.area in {"portal", "other"}}


@dataclass
class Scans:
    """What the scans found, over every state."""

    routes: dict = field(default_factory=dict)
    scanned: dict = field(default_factory=dict)  # route name → states
    page_states: int = 0
    violations: list = field(default_factory=list)
    known: list = field(default_factory=list)
    incomplete: dict = field(default_factory=dict)  # rule → pages
    observed: dict = field(default_factory=dict)  # route name → answers that are not pages
    narrow: int = 0
    overflowing: list = field(default_factory=list)
    forms_with_errors: int = 0
    forms_without_error_state: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    refreshing: dict = field(default_factory=dict)  # path → its meta refresh, stripped
    with_forms: dict = field(default_factory=dict)  # URLs scanned with a form to fill

    def scan(self, page, axe, state: str, *, label: str = "", narrow: bool = False) -> None:
        path = urlsplit(page.url).path
        name = route_name(path) or path
        page.wait_for_load_state("load")
        response = axe.run(page, options=AXE_OPTIONS).response
        self.page_states += 1
        self.scanned.setdefault(name, set()).add(state)
        where = f"{state} {label or path}"
        if path in self.refreshing:
            self.violation(name, "meta-refresh", f"{where}: {self.refreshing[path]}")
        for violation in response["violations"]:
            targets = [", ".join(map(str, node["target"])) for node in violation["nodes"]]
            line = f"{where}: {violation['id']} — {violation['help']} {targets}"
            self.violation(name, violation["id"], line)
        for item in response["incomplete"]:
            self.incomplete.setdefault(item["id"], set()).add(where)
        if page.locator("main form").evaluate_all(HAS_FIELDS):
            self.with_forms.setdefault(path, None)
        if narrow:
            page.set_viewport_size(NARROW)
            width = page.evaluate("document.documentElement.scrollWidth")
            self.narrow += 1
            if width > NARROW["width"]:
                self.overflowing.append(f"{where}: {width} px")
            page.set_viewport_size(WIDE)

    def violation(self, name: str, rule: str, line: str) -> None:
        (self.known if (name, rule) in KNOWN_VIOLATIONS else self.violations).append(line)


def route_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def answer_of(response) -> str:
    content_type = response.headers.get("Content-Type", "")
    if response.status_code == 405:
        return POST_ONLY
    if 300 <= response.status_code < 400:
        return REDIRECT
    if response.status_code == 404:
        return DEBUG_ONLY
    if response.status_code == 200 and content_type.startswith("text/html"):
        return "page"
    if response.status_code == 200:
        return FILE
    return str(response.status_code)


def links_of(page) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "a[href], img[src]", "els => els.map(e => e.getAttribute('href') || e.getAttribute('src'))"
    )
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        paths.append(parts.path)
    return paths


def new_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport=WIDE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def log_in(page, username, password=DEFAULT_PASSWORD):
    page.goto("/connexion/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def walk(page, axe, client, scans: Scans, state: str, seeds: list[str]) -> list[str]:
    """Scan every page reachable from ``seeds`` (and the links of the pages scanned);
    return the URLs scanned. ``client`` (logged in as the same person) asks first what a URL
    answers, so that files and actions are never opened in the browser."""
    queue, seen, per_route, scanned = list(seeds), set(), {}, []
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        name = route_name(url)
        if name not in scans.routes or per_route.get(name, 0) >= URLS_PER_ROUTE:
            continue
        response = client.get(url)
        answer = answer_of(response)
        if answer != "page":
            scans.observed.setdefault(name, set()).add(answer)
            continue
        per_route[name] = per_route.get(name, 0) + 1
        # A refresh inside <noscript> (« Paiement en cours… » without JavaScript) is not
        # in the page a browser with scripts builds, nor in what axe checks.
        refresh = META_REFRESH.search(NOSCRIPT.sub("", response.content.decode()))
        if refresh:
            # A page reloading itself under axe would be scanned half-loaded: it is scanned
            # without the tag, and the tag, read in its HTML, is reported as axe would.
            scans.refreshing[url] = f"meta-refresh — {refresh[0]} (read in the page's HTML)"
            page.route(lambda address, path=url: urlsplit(address).path == path, strip_refresh)
        page.goto(url)
        if urlsplit(page.url).path != url:  # the browser's session differs from the client's
            scans.problems.append(f"{state} {url}: the browser was sent to {page.url}")
            continue
        scans.scan(page, axe, state, narrow=state == "filled")
        scanned.append(url)
        queue.extend(links_of(page))
    return scanned


META_REFRESH = re.compile(r"<meta http-equiv=.refresh.[^>]*>", re.IGNORECASE)
NOSCRIPT = re.compile(r"<noscript>.*?</noscript>", re.IGNORECASE | re.DOTALL)


def strip_refresh(route) -> None:
    response = route.fetch(max_redirects=0)
    route.fulfill(response=response, body=META_REFRESH.sub("", response.text()))


def seeds_for(scans: Scans, rich=None) -> list[str]:
    """Every route without arguments; with family A, every route whose arguments name one of
    its objects (a ``reference``) or a secret it was sent (a ``token``). The walk adds the
    rest from the links of the pages (kinds of request, certificates by year…)."""
    urls = [route.url() for route in scans.routes.values() if not route.kwargs]
    if rich is None:
        return urls
    rows = [row for rows in objects_of(rich.family).values() for row in rows]
    for route in scans.routes.values():
        if route.kwargs == ("reference",):
            values = {getattr(row, "reference", None) for row in rows} - {None}
            urls += [route.url(reference=value) for value in sorted(map(str, values))]
        elif route.kwargs == ("token",):
            urls += [route.url(token=token) for token in rich.secrets.get("token", [])]
    return urls


FIELDS = (
    "input:not([type=hidden]):not([type=submit]):not([type=button]):not([hidden]), select, textarea"
)
HAS_FIELDS = f"forms => forms.some(form => form.querySelector({FIELDS!r}))"
# What a careless family types: nothing in a text field, a word where an address or a phone
# number is expected (forms whose fields are all optional still refuse those).
WRONG_INPUT = {"email": "pas-une-adresse", "tel": "x"}
TEXT_FIELDS = (
    "input:not([type]), input[type=text], input[type=email], input[type=password], "
    "input[type=tel], input[type=number], input[type=date], input[type=search], "
    "input[type=url], textarea"
)
SHOWS_ERRORS = "main .errorlist, main [aria-invalid=true], main .message--error"
SUMMARY = "Le formulaire contient des erreurs. Corrigez ces champs :"


def errors_unexplained(page) -> str:
    """Why the errors of a refused form are not shown as they must be, or ""."""
    if page.locator(SHOWS_ERRORS).count() == 0:
        return "no error shown"
    if page.locator("main .errorlist").count() == 0:
        return ""  # only the form's general error
    summary = page.locator("main .error-summary")
    if summary.count() != 1 or SUMMARY not in summary.inner_text():
        return "field errors without the error summary"
    for link in summary.locator("a").all():
        if page.locator(link.get_attribute("href")).count() != 1:
            return f"the error summary links to {link.get_attribute('href')}, not a field"
    return ""


def submit_wrong(page, form) -> None:
    """Empty every text field (or type a wrong address or phone number), keep the rest as
    the page set it, and submit with the browser's own validation off: the server must say
    what is wrong, without JavaScript."""
    for text_field in form.locator(TEXT_FIELDS).all():
        if text_field.is_visible():
            kind = text_field.get_attribute("type") or "text"
            text_field.fill(WRONG_INPUT.get(kind, ""))
    form.evaluate("form => { form.noValidate = true; }")
    with page.expect_navigation():
        form.locator("button[type=submit], button:not([type]), input[type=submit]").first.click()


def error_states(page, axe, scans: Scans, urls: list[str]) -> None:
    for url in urls:
        page.goto(url)
        name = route_name(url)
        for index in range(page.locator("main form").count()):
            if index:
                page.goto(url)
            form = page.locator("main form").nth(index)
            if form.locator(FIELDS).count() == 0:
                continue  # buttons only: nothing to get wrong
            if name in NO_ERROR_STATE:
                scans.forms_without_error_state[name] = NO_ERROR_STATE[name]
                continue
            submit_wrong(page, form)
            why = errors_unexplained(page)
            if why:
                scans.problems.append(
                    f"{url}: form {index + 1} submitted wrong: {why} (a form that no input "
                    "can get wrong belongs in NO_ERROR_STATE, with why)"
                )
                continue
            scans.forms_with_errors += 1
            scans.scan(page, axe, "error", label=f"{url} (form {index + 1} submitted wrong)")


def add_content(family) -> None:
    """What the town publishes, for the filled state: news (with image, attachment and an
    event), a menu, an official document, a page of practical information."""
    today = timezone.localdate()
    NewsFactory(title="Bienvenue sur le portail", body="<p>Vos factures sont en ligne.</p>")
    NewsFactory(
        title="Le jardin de la crèche",
        body="<h2>Au potager</h2><p>Radis et fraises.</p>",
        nurseries=[family.nursery],
        with_files=True,
        event_starts_at=timezone.now() + datetime.timedelta(days=10),
        event_location="Salle des fêtes",
    )
    menu = MenuFactory(nursery=family.nursery, month=today.replace(day=1))
    for course, dish, allergens in (
        ("starter", "Carottes râpées", []),
        ("main", "Poisson pané", ["fish", "gluten"]),
        ("dessert", "Compote", ["milk"]),
    ):
        MenuDishFactory(menu=menu, served_on=today, course=course, name=dish, allergens=allergens)
    add_version(OfficialDocumentFactory(title="Règlement de fonctionnement"), label="2026")
    PracticalPageFactory(title="Horaires", slug="horaires", body="<p>De 7 h 30 à 18 h 30.</p>")


def add_card_payments(family) -> None:
    """An invoice of a régie without direct debit, payable by card (its confirmation step),
    and a card payment for each outcome that is not « in progress »."""
    regie = create_regie(
        name="Régie Périscolaire",
        email="regie.periscolaire@example.fr",
        accepts_card_online=True,
        payfip_client_number="654321",
        payfip_mode="T",
    )
    invoice = InvoiceFactory(
        regie=regie,
        kind=regie.kinds.first(),
        household=family.household,
        payer=family.guardian,
        number="F2022-PER01",
        lines=[{"label": "Cantine", "quantity": Decimal("4"), "unit_price": Decimal("3.10")}],
    )
    for index, status in enumerate(
        [OnlinePayment.Status.REFUSED, OnlinePayment.Status.CANCELLED, OnlinePayment.Status.ERROR]
    ):
        OnlinePayment.objects.create(
            invoice=invoice, regie=regie, started_by=family.user, amount=invoice.total,
            email=family.user.email, refdet=f"F2022PER01{index}", exer="2022", mode="T",
            status=status,
        )  # fmt: skip


def visitor_states(browser, live_server, axe, scans: Scans, rich, newcomer) -> None:
    """The pages of a visitor and of a newcomer, before the family's space."""
    page = new_page(browser, live_server)
    # Login: empty, then submitted empty.
    page.goto("/connexion/")
    scans.scan(page, axe, "empty")
    submit_wrong(page, page.locator("main form"))
    assert errors_unexplained(page) == ""
    scans.scan(page, axe, "error", label="/connexion/ (submitted empty)")
    page.goto("/connexion/")
    page.locator("#id_username").fill(rich.user.username)
    page.locator("#id_password").fill("Pas-le-bon-2026")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    scans.scan(page, axe, "error", label="/connexion/ (wrong password)")
    # Forgotten password: empty, error, sent.
    page.goto("/mot-de-passe-oublie/")
    scans.scan(page, axe, "empty")
    submit_wrong(page, page.locator("main form"))
    assert errors_unexplained(page) == ""
    scans.scan(page, axe, "error", label="/mot-de-passe-oublie/ (submitted empty)")
    page.locator("main form input:visible").first.fill(rich.user.username)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    scans.scan(page, axe, "filled", label="/mot-de-passe-oublie/ (sent)")
    # Legal pages, read without an account.
    for name in ("portal:legal-notice", "portal:privacy", "portal:accessibility"):
        page.goto(reverse(name))
        scans.scan(page, axe, "filled", narrow=True)
    # Account links: a wrong one, then activation and reset (empty, submitted empty).
    page.goto(reverse("portal:account-link", kwargs={"token": "lien-perime"}))
    scans.scan(page, axe, "error", label="/compte/lien/… (unknown link)")
    for purpose, user in (
        (AccountLink.Purpose.ACTIVATION, newcomer.user),
        (AccountLink.Purpose.PASSWORD_RESET, rich.user),
    ):
        _link, token = issue_account_link(user=user, purpose=purpose)
        page.goto(reverse("portal:account-link", kwargs={"token": token}))
        assert urlsplit(page.url).path == reverse("portal:set-password")
        scans.scan(page, axe, "empty", label=f"/compte/mot-de-passe/ ({purpose})")
        submit_wrong(page, page.locator("main form"))
        assert errors_unexplained(page) == ""
        scans.scan(page, axe, "error", label=f"/compte/mot-de-passe/ ({purpose}, empty)")
    page.context.close()


def newcomer_gates(browser, live_server, axe, scans: Scans, newcomer):
    """A newcomer with a temporary password: the forced change (empty, error), then the CGU
    (not yet accepted, then accepted). Returns the page, logged in, for the empty state."""
    page = new_page(browser, live_server)
    log_in(page, newcomer.user.username)
    assert urlsplit(page.url).path == reverse("portal:password-change-required")
    scans.scan(page, axe, "empty")
    submit_wrong(page, page.locator("main form"))
    assert errors_unexplained(page) == ""
    scans.scan(page, axe, "error", label="/compte/changer-mot-de-passe/ (submitted empty)")
    for field_id in ("#id_new_password1", "#id_new_password2"):
        page.locator(field_id).fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert urlsplit(page.url).path == reverse("portal:terms")
    scans.scan(page, axe, "empty", label="/cgu/ (to accept)")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.goto(reverse("portal:terms"))
    scans.scan(page, axe, "filled", label="/cgu/ (accepted)")
    return page


def lockout(browser, live_server, axe, scans: Scans, settings) -> None:
    """Last: the lockout page (it blocks the test server's address for a while)."""
    page = new_page(browser, live_server)
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/connexion/")
        page.locator("#id_username").fill("personne.inconnue")
        page.locator("#id_password").fill("Pas-le-bon-2026")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
    assert page.get_by_text("Trop de tentatives").first.is_visible()
    scans.scan(page, axe, "error", label="/connexion/ (locked out)")
    page.context.close()


def test_every_family_page_passes_axe_in_every_state(browser, live_server, axe, settings):
    scans = Scans(routes=family_routes())
    terms = TermsVersionFactory(text="Article 1 — Objet du portail.\n\nArticle 2 — Données.")
    rich = make_rich_family("Zorglubien")
    assert not rich.failed, rich.failed
    accept_terms(user=rich.user, terms=terms, ip_address=None)
    add_content(rich.family)
    add_card_payments(rich.family)
    newcomer = make_family(name="Nouvelle", children=1, contacts=0)
    newcomer.user.must_change_password = True
    newcomer.user.save(update_fields=["must_change_password"])

    visitor_states(browser, live_server, axe, scans, rich, newcomer)

    # Empty: the newcomer, once through the gates, has a household and nothing else.
    page = newcomer_gates(browser, live_server, axe, scans, newcomer)
    newcomer.user.refresh_from_db()  # its new password: the client's session must match it
    client = Client()
    client.force_login(newcomer.user)
    walk(page, axe, client, scans, "empty", seeds_for(scans))
    page.context.close()

    # Filled: family A, every page, also at 320 px.
    page = new_page(browser, live_server)
    log_in(page, rich.user.username)
    client = Client()
    client.force_login(rich.user)
    filled = walk(page, axe, client, scans, "filled", seeds_for(scans, rich))
    page.goto("/mes-factures/00000000-0000-4000-8000-000000000000/")
    scans.scan(page, axe, "error", label="404 page")
    page.context.close()

    # Error: every form of those pages submitted empty or wrong.
    page = new_page(browser, live_server)
    log_in(page, rich.user.username)
    error_states(page, axe, scans, [url for url in scans.with_forms if url in filled])
    page.context.close()

    lockout(browser, live_server, axe, scans, settings)

    unaccounted = sorted(set(scans.routes) - set(scans.scanned) - set(NOT_PAGES))
    mismatched = [
        f"{name}: listed as « {NOT_PAGES[name].answer} », answered {sorted(answers)}"
        for name, answers in scans.observed.items()
        if name in NOT_PAGES
        and name not in scans.scanned
        and NOT_PAGES[name].answer != CALLBACK
        and NOT_PAGES[name].answer not in answers
        and answers - {DEBUG_ONLY}  # a 404 only: the objects tried were not the route's
    ]
    stale = sorted(set(NOT_PAGES) - set(scans.routes))
    incomplete = sum(len(pages) for pages in scans.incomplete.values())
    record(
        "accessibility_family",
        pages=len(scans.scanned),
        states=len(STATES),
        page_states_scanned=scans.page_states,
        violations=len(scans.violations) + len(scans.known),
        violations_known=[
            f"{name} {rule}: {why}" for (name, rule), why in KNOWN_VIOLATIONS.items()
        ],
        incomplete=incomplete,
        incomplete_rules=sorted(scans.incomplete),
        routes_not_scanned=len(set(scans.routes) - set(scans.scanned)),
        reasons={name: NOT_PAGES[name].reason for name in sorted(NOT_PAGES)},
        forms_submitted_with_errors=scans.forms_with_errors,
        forms_without_error_state=scans.forms_without_error_state,
    )
    print(
        f"\n{len(scans.scanned)} routes, {scans.page_states} page states, "
        f"{len(scans.violations)} violations (+{len(scans.known)} known), "
        f"{scans.forms_with_errors} forms refused, {scans.narrow} pages at 320 px, "
        f"incomplete {sorted(scans.incomplete)}, not scanned {sorted(set(NOT_PAGES))}",
        *scans.known,
        sep="\n",
    )
    record("reflow", pages_at_320px=scans.narrow, horizontal_scroll=len(scans.overflowing))
    report = "\n".join(
        scans.violations + scans.overflowing + scans.problems + mismatched + unaccounted + stale
    )
    assert scans.violations == [], report
    assert scans.overflowing == [], report
    assert scans.problems == [], report
    assert unaccounted == [], f"routes neither scanned nor listed in NOT_PAGES: {unaccounted}"
    assert mismatched == [], report
    assert stale == [], f"NOT_PAGES lists routes that no longer exist: {stale}"
    assert {"empty", "filled", "error"} <= {s for states in scans.scanned.values() for s in states}


def test_the_invoice_question_form_passes_axe_in_every_state(browser, live_server, axe):
    """The link of an invoice's page carries the invoice (« ?facture=… »), which the walk
    above drops with the query string: the form with the invoice's lines to tick (a group of
    checkboxes) is scanned here, empty, submitted empty, filled, then the pages showing the
    question once sent."""
    scans = Scans(routes=family_routes())
    family = make_family(name="Zorglubien")
    regie = create_regie(name="Régie Petite Enfance", email="regie@example.fr")
    invoice = InvoiceFactory(
        regie=regie,
        kind=regie.kinds.first(),
        household=family.household,
        payer=family.guardian,
        number="F2022-ZOR07",
        lines=[
            {
                "child_name": "Léa Zorglubien",
                "label": "Accueil régulier",
                "quantity": Decimal("10"),
                "unit_price": Decimal("2.90"),
            },
            {"label": "Frais de dossier", "quantity": Decimal("1"), "unit_price": Decimal("15")},
        ],
    )
    invoice_url = reverse("portal:invoice-detail", kwargs={"reference": invoice.reference})
    page = new_page(browser, live_server)
    log_in(page, family.user.username)

    page.goto(invoice_url)
    with page.expect_navigation():
        page.get_by_role("link", name="Signaler une erreur sur cette facture").click()
    assert urlsplit(page.url).query == f"facture={invoice.reference}"
    assert page.locator("main form input[name=lines]").count() == 2
    scans.scan(page, axe, "empty", label="invoice question (empty)", narrow=True)

    submit_wrong(page, page.locator("main form"))
    assert errors_unexplained(page) == ""
    assert page.get_by_text("Dites ce qui vous semble erroné sur cette facture").is_visible()
    scans.scan(page, axe, "error", label="invoice question (no message)", narrow=True)

    page.get_by_label("Accueil régulier (Léa Zorglubien) — 29,00 €").check()
    page.locator("#id_message").fill("Léa était absente le 14 février.")
    scans.scan(page, axe, "filled", label="invoice question (filled)", narrow=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer ma demande").click()
    assert page.get_by_text("Accueil régulier (Léa Zorglubien) — 29,00 €").is_visible()
    scans.scan(page, axe, "filled", label="invoice question (sent)", narrow=True)

    page.goto(invoice_url)
    assert page.get_by_text("Réclamation envoyée le").is_visible()
    scans.scan(page, axe, "filled", label="invoice with its question", narrow=True)
    page.context.close()

    report = "\n".join(scans.violations + scans.overflowing)
    assert scans.violations == [], report
    assert scans.overflowing == [], report
    assert scans.page_states == 5
