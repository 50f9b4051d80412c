"""WEB-04: every view that accepts a POST refuses one without a CSRF token; the only
exempt views are PayFiP's server-to-server notification endpoints."""

from django.test import Client

from portail.organisation.models import Organisation

from .figures import record
from .routes import all_routes, is_production_route

# PayFiP calls these from its servers, with no user authority: they only trigger a check of
# the payment with PayFiP's SOAP service (portail/payments).
PAYFIP_NOTIFICATION_VIEWS = {"portal:payment-notification"}


def production_routes():
    return [route for route in all_routes() if is_production_route(route)]


def test_only_payfip_notifications_are_exempt_from_csrf():
    exempt = {
        route.name or route.pattern
        for route in production_routes()
        if getattr(route.callback, "csrf_exempt", False)
    }
    record("csrf", exempt_views=len(exempt))
    assert exempt and exempt <= PAYFIP_NOTIFICATION_VIEWS


def post_without_token(client, routes):
    accepted = []
    for route in routes:
        if getattr(route.callback, "csrf_exempt", False):
            continue
        response = client.post(route.path(), {"anything": "1"}, secure=True)
        if response.status_code != 403:
            accepted.append(f"{route.name or route.pattern} ({response.status_code})")
    return accepted


def test_no_view_accepts_a_post_without_csrf_token(family_a, administrator, staff_login):
    routes = production_routes()
    anonymous = Client(enforce_csrf_checks=True)
    family = Client(enforce_csrf_checks=True)
    family.force_login(family_a.user)
    staff = staff_login(Client(enforce_csrf_checks=True), administrator)
    accepted = []
    for client in (anonymous, family, staff):
        accepted += post_without_token(client, routes)
    record("csrf", views_tested=len(routes), accepted_without_token=len(accepted))
    assert accepted == []


def test_a_post_with_the_token_of_another_browser_is_refused(family_a, family_b):
    """The token must match the browser's own CSRF cookie."""
    other = Client(enforce_csrf_checks=True)
    other.get("/connexion/")
    foreign_token = other.cookies["csrftoken"].value
    client = Client(enforce_csrf_checks=True)
    client.force_login(family_a.user)
    client.get("/mon-espace/identifiants/")
    response = client.post(
        "/mon-espace/identifiants/",
        {"csrfmiddlewaretoken": foreign_token, "current_password": "x"},
    )
    assert response.status_code == 403


def row_counts() -> dict[str, int]:
    from django.apps import apps

    return {model._meta.label_lower: model._default_manager.count() for model in apps.get_models()}


# Rows a GET may legitimately add: the session, the audit trail of what staff read, login
# records, and the date of the family's last visit to MON ACCUEIL (« what is new since »).
GET_MAY_WRITE = {"sessions.session", "audit.auditevent", "axes.accesslog", "content.homevisit"}


def test_no_get_request_creates_or_deletes_anything(family_a, administrator, staff_login):
    family = Client()
    family.force_login(family_a.user)
    staff = staff_login(Client(), administrator)
    routes = [route for route in production_routes() if not route.has_kwargs]
    Organisation.current()  # the single settings row, created on first read
    before = row_counts()
    for client in (Client(), family, staff):
        for route in routes:
            client.get(route.path(), secure=True)
    after = row_counts()
    changed = {
        label: (before[label], after[label])
        for label in before
        if before[label] != after[label] and label not in GET_MAY_WRITE
    }
    record("csrf", get_routes_checked=len(routes) * 3, get_state_changes=len(changed))
    assert changed == {}
