"""WEB-04 / ASVS 4.2.2: every route of the resolver (portal, /gestion/ admin add, change,
delete and custom actions, /gestion/outils/) refuses a POST without a CSRF token, and one
with the token of another browser, for every kind of principal. Object routes are filled
with family A's real objects, so the admin's change and delete views and the changelists'
actions are posted for real. Exactly one view may be exempt: PayFiP's notification."""

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client

from .conftest import family_client, staff_client
from .figures import write_figures
from .routes import is_login_page, production_routes
from .test_idor_matrix import admin_model, fills
from .world import objects_of

# PayFiP's servers call it without any user authority: it only triggers a check of the
# payment with PayFiP's SOAP service (SECURITY.md PAY-01).
# Server-to-server payment callbacks only: PayFiP's notification (which trusts nothing it
# receives and asks PayFiP by SOAP) and the SystemPay/Paybox callback (accepted only when the
# provider's signature verifies). Every other POST needs the CSRF token.
ALLOWED_EXEMPT = {"portal:payment-notification"}
# Rows a refused POST may still add: the session, login records and the audit trail.
MAY_WRITE = {"sessions.session", "audit.auditevent", "axes.accesslog", "content.homevisit"}


def exempt_routes(routes) -> set[str]:
    return {route.name for route in routes if getattr(route.callback, "csrf_exempt", False)}


def test_exactly_one_view_is_exempt_from_csrf_the_payfip_notification():
    routes = production_routes()
    exempt = exempt_routes(routes)
    write_figures(
        "csrf_exempt",
        {
            "exempt_views": len(exempt),
            "exempt_view_names": sorted(exempt),
            "allowed": sorted(ALLOWED_EXEMPT),
            "unexpected_exempt_views": sorted(exempt - ALLOWED_EXEMPT),
        },
    )
    assert exempt == ALLOWED_EXEMPT, (
        f"csrf_exempt views other than the payment callbacks: {sorted(exempt - ALLOWED_EXEMPT)}"
    )


def post_data(route, rows_by_model) -> dict:
    """What a browser would post: the changelist's bulk delete action with real ids, the
    confirmation of a delete page, or a plain field."""
    model = admin_model(route)
    if model is not None and route.name.endswith("_changelist"):
        ids = [row.pk for row in rows_by_model.get(model, [])] or ["1"]
        return {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    if route.name.endswith("_delete"):
        return {"post": "yes"}
    return {"anything": "1"}


def urls_to_post(routes, rows_by_model, secrets):
    for route in routes:
        if route.name in ALLOWED_EXEMPT | exempt_routes([route]):
            continue
        candidates, _reason = fills(route, rows_by_model, secrets) if route.converters else ([], "")
        kwargs = candidates[0][0] if candidates else {}
        yield route, route.url(**kwargs), post_data(route, rows_by_model)


def row_counts() -> dict[str, int]:
    from django.apps import apps

    return {model._meta.label_lower: model._default_manager.count() for model in apps.get_models()}


def refused(response, principal) -> bool:
    if response.status_code == 403:
        return True
    location = response.headers.get("Location", "")
    return principal == "anonymous" and response.status_code == 302 and is_login_page(location)


@pytest.mark.slow
def test_every_post_without_a_valid_token_is_refused(
    rich_family_a, family_b, other_nursery_staff, administrator
):
    rows_by_model = objects_of(rich_family_a.family)
    routes = production_routes()
    strict = {"enforce_csrf_checks": True}
    principals = {
        "anonymous": Client(**strict),
        "family A": family_client(rich_family_a.user, **strict),
        "other nursery staff": staff_client(other_nursery_staff, **strict),
        "administrator": staff_client(administrator, **strict),
    }
    # A token that is valid, but for another browser.
    stranger = Client(**strict)
    stranger.get("/connexion/", secure=True)
    foreign_token = stranger.cookies[settings.CSRF_COOKIE_NAME].value
    before = row_counts()
    targets = list(urls_to_post(routes, rows_by_model, rich_family_a.secrets))
    accepted, posts = [], 0
    for principal, client in principals.items():
        client.get("/connexion/", secure=True)  # the browser has its own CSRF cookie
        for route, url, data in targets:
            # The foreign token once, by the family (the check does not depend on who).
            variants = [("no token", {})]
            if principal == "family A":
                variants.append(("foreign token", {"t": foreign_token}))
            for variant, extra in variants:
                payload = dict(data)
                if extra:
                    payload["csrfmiddlewaretoken"] = extra["t"]
                response = client.post(url, payload, secure=True)
                posts += 1
                if not refused(response, principal):
                    accepted.append(f"{principal} {variant} {route.name}: {response.status_code}")
    after = row_counts()
    changed = {
        label: (before[label], after[label])
        for label in before
        if before[label] != after[label] and label not in MAY_WRITE
    }
    changelists = [route for route in routes if route.name.endswith("_changelist")]
    write_figures(
        "csrf",
        {
            "routes_total": len(routes),
            "routes_posted": len(targets),
            "admin_changelists_posted_with_bulk_delete": len(changelists),
            "admin_models": len(admin.site._registry),
            "principals": sorted(principals),
            "variants": ["no token (every principal)", "foreign token (family A)"],
            "posts": posts,
            "accepted_without_valid_token": len(accepted),
            "accepted_details": accepted,
            "tables_changed": changed,
        },
    )
    assert accepted == []
    assert changed == {}
