"""A11Y-01 for the back office: axe-core in Chromium over every staff page of the URL
resolver (/gestion/ admin and /gestion/outils/ tools), in each state.

The routes are walked at test time (tests/trust/routes.py), so that a page added later is
scanned without editing this file. States:

- "empty": the daily lists before any family exists (changelists with 0 results, the
  request queue and the job list);
- "filled": every page with the rich family A of tests/trust/world.py and the records every
  other model needs (change form, history and delete confirmation of a real object, the
  custom pages of the model admins, the tools);
- "error": every add and change form submitted with its fields emptied, and every tool form
  submitted empty, so that the error summary and the field errors show.

Principals: the administrator (every page) and a nursery staff member (the pages the home page
offers them). A route that answers no HTML page to the administrator must be listed in
NOT_SCANNED with the reason (a file, a JSON answer, a POST-only action): a new route that is
neither scanned nor listed fails the test, and so does a listed route that serves a page.
Expected: 0 violations of axe's default rules (as the family pages' tests)."""

import datetime
import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import resolve
from django.utils import timezone

from tests.backoffice.conftest import add_device, current_code
from tests.factories import (
    DEFAULT_PASSWORD,
    InvoiceFactory,
    StaffUserFactory,
    TermsVersionFactory,
)
from tests.security.figures import record
from tests.trust.routes import production_routes
from tests.trust.world import MARKER_A, make_rich_family, objects_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Routes that serve no page to scan, with the reason. Anything else must be scanned.
NOT_SCANNED = {
    "admin:logout": "POST only (logging out), then the login page (scanned)",
    "admin:autocomplete": "JSON for the autocomplete widgets, not a page",
    "admin:jsi18n": "JavaScript catalogue, not a page",
    "admin:view_on_site": "redirect to the object's page on the portal",
    "admin:organisation_organisation_changelist": "redirect to the organisation's page (one "
    "row, scanned as its change page)",
    "admin:households_guardian_temporary_password": "POST only: its two pages (confirmation, "
    "password shown once) are reached from the guardian's page and scanned there",
    "admin:billing_invoice_preview": "PDF of a draft",
    "admin:billing_invoice_pdf": "PDF download",
    "admin:billing_creditnote_pdf": "PDF download",
    "admin:payments_payment_receipt": "PDF download (receipt)",
    "admin:direct_debits_mandate_pdf": "PDF download (signed mandate)",
    "admin:direct_debits_debitbatch_xml": "XML download (SEPA file)",
    "admin:content_news_image": "image file",
    "admin:content_news_attachment": "file download",
    "admin:content_menu_pdf": "PDF download",
    "admin:content_officialdocument_version_file": "file download",
    "admin:otp_totp_totpdevice_qrcode": "QR code image",
    "admin:households_guardian_invitation": "POST only (sends an invitation)",
    "admin:organisation_termsversion_publish": "POST only (publishes the CGU)",
    "admin:billing_regie_payfip_test": "POST only (asks PayFiP)",
    "backoffice:request-action": "POST only (take, accept, refuse)",
    "backoffice:request-attachment": "file download (the family's document)",
    "backoffice:job-download": "file download (the job's result)",
}
# Pages whose form is submitted empty for the "error" state (besides every add and change
# form): they ask for something and do nothing harmful with an empty answer.
ERROR_FORMS = {
    "admin:password_change",
    "admin:auth_user_password_change",
    "admin:billing_invoice_cancel",
    "admin:billing_invoice_credit_note",
    "admin:billing_creditnote_use",
    "admin:billing_creditnote_refund",
    "admin:direct_debits_debit_reject",
    "admin:direct_debits_debitbatch_build",
    "admin:direct_debits_debitbatch_return_file",
    "backoffice:invoice-import",
    "backoffice:accounting-export",
}
# An axe rule disabled on one page, with the reason (none so far: fix the page instead).
EXCLUSIONS: dict[str, dict[str, str]] = {}
CANDIDATES = 8  # objects tried per route before giving up
OBJECT_KWARGS = {"object_id", "pk", "id"}
ADMIN_KINDS = ("changelist", "add", "change", "history", "delete")


def admin_model(route):
    for model in admin.site._registry:
        if route.pattern.startswith(f"gestion/{model._meta.app_label}/{model._meta.model_name}/"):
            return model
    if route.name == "admin:auth_user_password_change":
        return get_user_model()
    return None


def refusal(route, model, administrator) -> str:
    """Why the model's admin refuses this page even to an administrator, if it does."""
    kind = route_kind(route, model)
    model_admin = admin.site._registry.get(model)
    checks = {
        "add": "has_add_permission",
        "delete": "has_delete_permission",
        "change": "has_view_or_change_permission",
        "history": "has_view_or_change_permission",
    }
    if model_admin is None or kind not in checks:
        return ""
    request = RequestFactory().get("/gestion/")
    request.user = administrator
    if getattr(model_admin, checks[kind])(request):
        return ""
    return f"{type(model_admin).__name__} refuses “{kind}” to everyone, administrators included"


def route_kind(route, model) -> str:
    if model is None:
        return ""
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
    return route.name.removeprefix(prefix) if route.name.startswith(prefix) else ""


def candidate_urls(route, rows_by_model) -> list[str]:
    """The route's URL filled with real objects, family A's first."""
    if not route.converters:
        return [route.url()]
    model = admin_model(route)
    keys = set(route.kwargs)
    if model is not None and keys <= OBJECT_KWARGS:
        rows = rows_by_model.get(model, []) + list(model._default_manager.order_by("-pk")[:20])
        rows = list(dict.fromkeys(rows))[:CANDIDATES]
        return [route.url(**dict.fromkeys(keys, row.pk)) for row in rows]
    if keys == {"version_id"}:
        from portail.content.models import OfficialDocumentVersion

        rows = OfficialDocumentVersion.objects.all()[:CANDIDATES]
        return [route.url(version_id=row.pk) for row in rows]
    if keys == {"reference"} and route.namespace == "backoffice":
        from portail.households.models import Request
        from portail.jobs.models import Job

        model = Request if route.name.startswith("backoffice:request-") else Job
        rows = model.objects.all()[:CANDIDATES]
        return [route.url(reference=row.reference) for row in rows]
    return []


def build_world(administrator):
    """Family A with everything a household owns, and a row of every other model."""
    from django_tasks_db.models import DBTaskResult

    from portail.direct_debits.models import CreditorSettings
    from portail.direct_debits.services.batches import earliest_collection_on, queue_debit_batch
    from portail.jobs.models import Job, PeriodicJobRun
    from tests.content.factories import (
        MenuDishFactory,
        MenuFactory,
        NewsFactory,
        OfficialDocumentFactory,
        PracticalPageFactory,
        add_version,
    )

    rich = make_rich_family(MARKER_A)
    assert not rich.failed, rich.failed
    family = rich.family
    regie = family.household.invoices.first().regie
    InvoiceFactory(
        regie=regie,
        kind=regie.kinds.first(),
        household=family.household,
        payer=family.guardian,
        status="draft",
        number="",
        lines=[
            {
                "child_name": family.child.first_name,
                "label": "Cantine",
                "quantity": Decimal("4"),
                "unit_price": Decimal("3.10"),
            }
        ],
    )
    from portail.accounts.models import AccountClosureRequest, TermsAcceptance
    from tests.factories import CreditNoteFactory

    terms = TermsVersionFactory(text="Article 1 — Objet du portail.")
    TermsAcceptance.objects.create(user=family.user, terms=terms, ip_address="192.0.2.1")
    AccountClosureRequest.objects.create(
        user=family.user, household=family.household, reason="Nous déménageons."
    )
    # Credit left to use or refund (the world's credit note is wholly applied).
    CreditNoteFactory(
        invoice=family.household.invoices.filter(status="issued").first(),
        amount=Decimal("3.00"), applied_amount=Decimal("0.00"), number="AV2022-AXE01",
    )  # fmt: skip
    NewsFactory(title="Fête de l'été", body="<p>Le 20 juin au jardin.</p>")
    menu = MenuFactory(nursery=family.nursery, month=timezone.localdate().replace(day=1))
    MenuDishFactory(menu=menu, served_on=timezone.localdate(), course="main", name="Purée")
    add_version(OfficialDocumentFactory(title="Règlement de fonctionnement"), label="2026")
    PracticalPageFactory(title="Horaires", slug="horaires", body="<p>De 7 h 30 à 18 h 30.</p>")
    Job.objects.create(
        kind="import", description="Import des factures de mars", status="succeeded",
        total=2, done=2, outcome="2 factures importées.", created_by=administrator,
    )  # fmt: skip
    PeriodicJobRun.objects.create(name="purge_expired_data", last_succeeded=True)
    DBTaskResult.objects.create(
        task_path="portail.jobs.tasks.example", args_kwargs={"args": [], "kwargs": {}},
        backend_name="default", run_after=timezone.now(), queue_name="default",
        exception_class_path="", traceback="",
    )  # fmt: skip
    creditor = CreditorSettings.objects.get(regie=regie)
    queue_debit_batch(
        regie=regie,
        collection_on=earliest_collection_on(creditor) + datetime.timedelta(days=1),
        created_by=administrator,
    )
    return rich


def log_in(browser, live_server, user, device):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/gestion/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("#id_otp_token").fill(current_code(device))
    page.locator("#id_otp_token").press("Enter")
    page.wait_for_url(re.compile(r".*/gestion/$"))
    return context, page


class Scanner:
    def __init__(self, axe):
        self.axe = axe
        self.scans = []  # (principal, state, route name, url)
        self.violations = {}
        self.incomplete = 0
        self.violation_count = 0

    def scan(self, page, principal, state, name):
        rules = EXCLUSIONS.get(name, {})
        options = {"resultTypes": ["violations"]}
        if rules:
            options["rules"] = {rule: {"enabled": False} for rule in rules}
        results = self.axe.run(page, options=options)
        self.scans.append((principal, state, name, urlsplit(page.url).path))
        self.incomplete += len(results.response.get("incomplete", []))
        self.violation_count += results.violations_count
        if results.violations_count:
            print(
                "VIOLATION", principal, state, name,
                [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in
                 results.response["violations"]],
            )  # fmt: skip
            self.violations[f"{principal} / {state} / {name} {urlsplit(page.url).path}"] = (
                results.generate_report()
            )


def is_page(response) -> bool:
    return response.status == 200 and response.headers.get("content-type", "").startswith(
        "text/html"
    )


def open_page(context, page, urls):
    """Go to the first URL that answers an HTML page; the statuses seen otherwise."""
    seen = []
    for url in urls:
        response = context.request.get(url, max_redirects=0)
        if is_page(response):
            page.goto(url)
            return url, seen
        seen.append(f"{response.status} {response.headers.get('content-type', '')}".strip())
    return None, seen


def submit_emptied(page, form_selector, button_selector) -> bool:
    """Empty the form's fields and submit it; whether the page then shows errors."""
    form = page.locator(form_selector).first
    form.evaluate(
        """form => {
            form.noValidate = true;
            for (const field of form.elements) {
                if (["hidden", "submit", "button", "checkbox", "radio", "reset"]
                        .includes(field.type)) continue;
                if (field.tagName === "SELECT") {
                    field.value = "";
                    if (field.value !== "") field.selectedIndex = -1;
                } else {
                    field.value = "";
                }
            }
        }"""
    )
    with page.expect_navigation():
        form.locator(button_selector).first.click()
    return page.locator(".errornote, .errorlist").count() > 0


def scan_offered_pages(scanner, page, state):
    """A nursery staff member's home page, then every page it links to (their lists, add
    forms and tools)."""
    page.goto("/gestion/")
    scanner.scan(page, "nursery staff", state, "admin:index")
    links = page.locator("#content-main a[href^='/gestion/']").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    assert any("/households/household/" in link for link in links), links
    for href in dict.fromkeys(links):
        page.goto(href)
        scanner.scan(page, "nursery staff", state, resolve(urlsplit(href).path).view_name)


def test_every_staff_page_passes_axe_in_every_state(browser, live_server, axe):
    administrator = StaffUserFactory(username="admin.axe", is_superuser=True)
    admin_device = add_device(administrator)
    nursery_staff = StaffUserFactory(username="agent.axe")
    staff_device = add_device(nursery_staff)
    scanner = Scanner(axe)
    routes = [r for r in production_routes() if r.area in ("admin", "backoffice")]
    by_name = {route.name: route for route in routes}

    # The staff login, empty and with an error, before anyone logs in.
    anonymous = browser.new_context(base_url=live_server.url, locale="fr-FR")
    page = anonymous.new_page()
    page.goto("/gestion/login/")
    scanner.scan(page, "anonymous", "empty", "admin:login")
    page.locator("#id_username").fill("inconnu")
    page.locator("#id_password").fill("Pas-le-bon-2026")
    page.locator("#id_otp_token").fill("000000")
    with page.expect_navigation():
        page.get_by_role("button", name="Connexion").click()
    assert page.locator(".errornote, .errorlist").count() > 0
    scanner.scan(page, "anonymous", "error", "admin:login")
    anonymous.close()

    admin_context, admin_page = log_in(browser, live_server, administrator, admin_device)
    staff_context, staff_page = log_in(browser, live_server, nursery_staff, staff_device)
    scan_offered_pages(scanner, staff_page, "empty")

    # Empty: the lists before any family exists.
    lists = [r for r in routes if route_kind(r, admin_model(r)) == "changelist"]
    lists += [by_name["backoffice:request-queue"], by_name["backoffice:job-list"]]
    empty_seen = 0
    for route in [by_name["admin:index"], *lists]:
        model = admin_model(route)
        admin_page.goto(route.url())
        state = "empty"
        if model is not None and model._default_manager.exists():
            state = "filled"  # the admin's own account, device, log-in journal…
        else:
            empty_seen += 1
        scanner.scan(admin_page, "administrator", state, route.name)

    rich = build_world(administrator)
    family = rich.family
    family.nursery.staff.add(nursery_staff)
    rows_by_model = objects_of(family)

    # Filled: every route, with a real object.
    not_scanned, unlisted, stale = {}, {}, []
    scanned_routes = {}
    for route in routes:
        if route.name == "admin:login":
            continue  # scanned above, anonymous (a logged-in member is sent on)
        if not route.name.startswith(("admin:", "backoffice:")):
            not_scanned[route.name] = "unnamed: Django's redirect of an old admin URL"
            continue
        urls = candidate_urls(route, rows_by_model)
        url, seen = open_page(admin_context, admin_page, urls)
        if url is None:
            refused = refusal(route, admin_model(route), administrator)
            if route.name in NOT_SCANNED:
                not_scanned[route.name] = NOT_SCANNED[route.name]
            elif refused and seen and all(status.startswith("403") for status in seen):
                not_scanned[route.name] = refused
            else:
                unlisted[route.name] = seen or ["no object to fill the URL"]
            continue
        if route.name in NOT_SCANNED:
            stale.append(route.name)
        scanner.scan(admin_page, "administrator", "filled", route.name)
        scanned_routes[route.name] = url

    # Nursery staff, now with family A in their nursery (before the error state changes data).
    scan_offered_pages(scanner, staff_page, "filled")
    change = f"/gestion/households/household/{family.household.pk}/change/"
    staff_page.goto(change)
    assert urlsplit(staff_page.url).path == change
    scanner.scan(staff_page, "nursery staff", "filled", "admin:households_household_change")
    staff_context.close()

    # Error: add and change forms emptied and submitted, and the tools' forms.
    no_error = []
    for name, url in scanned_routes.items():
        route = by_name[name]
        kind = route_kind(route, admin_model(route))
        if kind in ("add", "change"):
            admin_page.goto(url)
            form = admin_page.locator("#content form:has(input[name=_save])")
            if not form.count():
                continue  # read only: nothing to submit
            if submit_emptied(admin_page, "#content form:has(input[name=_save])", "[name=_save]"):
                scanner.scan(admin_page, "administrator", "error", name)
            else:
                no_error.append(name)
        elif name in ERROR_FORMS:
            admin_page.goto(url)
            selector = "#content form[method=post]:has([type=submit])"
            if submit_emptied(admin_page, selector, "[type=submit]"):
                scanner.scan(admin_page, "administrator", "error", name)
            else:
                no_error.append(name)

    # Pages reached only by a POST: the review step of a correction (confirm_page.html), the
    # temporary password's confirmation and the password shown once.
    cancel = scanned_routes["admin:billing_invoice_cancel"]
    admin_page.goto(cancel)
    admin_page.locator("#id_reason").fill("Facture envoyée en double.")
    with admin_page.expect_navigation():
        admin_page.locator("#content form [name=step][value=review]").click()
    scanner.scan(admin_page, "administrator", "filled", "admin:billing_invoice_cancel (review)")
    admin_page.goto(f"/gestion/households/guardian/{family.guardian.pk}/change/")
    with admin_page.expect_navigation():
        admin_page.locator("form[action$='/temporary-password/'] button").click()
    scanner.scan(admin_page, "administrator", "filled", "temporary password (confirmation)")
    with admin_page.expect_navigation():
        admin_page.locator("#content form input[type=submit]").click()
    assert admin_page.locator(".temporary-password").count() == 1
    scanner.scan(admin_page, "administrator", "filled", "temporary password (shown once)")
    admin_context.close()

    pages = {name for _principal, _state, name, _url in scanner.scans}
    states = {state for _principal, state, _name, _url in scanner.scans}
    print(f"{len(scanner.scans)} scans, {len(pages)} pages; no error state: {no_error}")
    print("NOT SCANNED", not_scanned)
    record(
        "accessibility_staff",
        pages=len(pages),
        states=len(states),
        page_states_scanned=len(scanner.scans),
        violations=scanner.violation_count,
        incomplete=scanner.incomplete,
        routes_not_scanned=len(not_scanned),
        exclusions={name: rules for name, rules in EXCLUSIONS.items()},
        lists_scanned_empty=empty_seen,
        # Forms with no required field: submitted emptied, they save (no error to show).
        error_state_not_reached=no_error,
    )
    problems = []
    if unlisted:
        problems.append(f"Routes neither scanned nor listed in NOT_SCANNED: {unlisted}")
    if stale:
        problems.append(f"Listed in NOT_SCANNED but serve a page: {stale}")
    problems += [f"{key}\n{report}" for key, report in scanner.violations.items()]
    assert problems == [], "\n".join(problems)


def test_the_back_office_has_a_skip_link_and_a_visible_focus(browser, live_server):
    """RGAA 12.7 and 10.7 on the staff home page: the first Tab stop is the skip link, shown
    with an outline, and it leads to the main content."""
    administrator = StaffUserFactory(username="admin.clavier", is_superuser=True)
    context, page = log_in(browser, live_server, administrator, add_device(administrator))
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
            const element = document.activeElement;
            const style = getComputedStyle(element);
            return [element.getAttribute("href"), element.innerText.trim(), style.outlineStyle,
                    parseFloat(style.outlineWidth), element.getBoundingClientRect().top >= 0];
        }"""
    )
    href, text, outline, width, on_screen = focused
    assert (href, text) == ("#content-start", "Passer au contenu principal")
    assert outline != "none" and width >= 2 and on_screen, focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content-start"
    assert page.evaluate("document.activeElement.tagName") == "MAIN"
    # Any link of the page, reached by the keyboard, is outlined too.
    page.keyboard.press("Tab")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    context.close()
