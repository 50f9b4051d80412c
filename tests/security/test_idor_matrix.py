"""WEB-06: the IDOR matrix, generated from the URL resolver so that routes added later are
covered too. Every route carrying an object reference × every principal (anonymous, family
A, nursery staff of another nursery, administrator) × every object of family B: nobody but
B and the administrator sees B's objects — 0 leaks. Each family also reaches its own objects
(so the references tried are real ones)."""

import uuid

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client

from portail.audit.services import household_paths
from tests.factories import CreditNoteFactory, InvoiceFactory, PaymentFactory

from .figures import record
from .routes import all_routes, is_production_route

MARKER = "Bertin"  # in every name of family B (tests/portal/families.make_family)


def objects_of(household) -> list:
    """Every row of household data that has a ``reference`` (what URLs carry)."""
    rows = []
    for model in apps.get_models():
        paths = household_paths(model)
        if not paths or "reference" not in {f.name for f in model._meta.concrete_fields}:
            continue
        from django.db.models import Q

        condition = Q()
        for path in paths:
            condition |= Q(**{f"{path}__in": [household.pk]})
        rows += list(model._default_manager.filter(condition).distinct())
    return rows


def with_billing(family):
    invoice = InvoiceFactory(household=family.household, payer=family.guardian)
    CreditNoteFactory(invoice=invoice, amount=invoice.total, applied_amount=invoice.total)
    PaymentFactory(household=family.household, payer=family.guardian)
    InvoiceFactory(
        household=family.household, payer=family.guardian, number=f"F-{family.household.pk}-2"
    )
    return family


def reference_routes():
    return [
        route
        for route in all_routes()
        if is_production_route(route)
        and any(converter == "uuid" for _key, converter in route.converters)
        and not route.name.endswith("notification")
    ]


def is_leak(response) -> bool:
    if response.status_code != 200:
        return False
    content_type = response.headers.get("Content-Type", "")
    if not content_type.startswith("text/html"):
        return True  # a file (PDF, CSV) of someone else's
    return MARKER in response.content.decode(errors="replace")


def fill(route, reference):
    return route.path(
        **{key: reference for key, converter in route.converters if converter == "uuid"}
    )


@pytest.fixture
def world(family_a, family_b):
    return with_billing(family_a), with_billing(family_b)


def test_no_principal_sees_another_households_objects(
    world, administrator, other_nursery_staff, staff_login
):
    family_a, family_b = world
    foreign = objects_of(family_b.household)
    own = objects_of(family_a.household)
    assert len(foreign) >= 8
    principals = {"anonymous": Client()}
    principals["family A"] = Client()
    principals["family A"].force_login(family_a.user)
    principals["other nursery staff"] = staff_login(Client(), other_nursery_staff)

    routes = reference_routes()
    tried, leaks = 0, []
    for name, client in principals.items():
        for route in routes:
            for obj in foreign:
                response = client.get(fill(route, obj.reference), secure=True)
                tried += 1
                if is_leak(response):
                    leaks.append(f"{name} {route.name} {obj._meta.label}")
    # B's own objects: every route answers B at least once, proving the references are real.
    owner = Client()
    owner.force_login(family_b.user)
    reachable = {
        route.name
        for route in routes
        for obj in foreign
        if owner.get(fill(route, obj.reference), secure=True).status_code == 200
    }
    record(
        "idor",
        routes=len(routes),
        principals=len(principals),
        objects=len(foreign),
        requests=tried,
        leaks=len(leaks),
        routes_reached_by_owner=len(reachable),
    )
    assert leaks == []
    assert len(own) >= 8
    assert reachable, "no route answered its owner: the matrix would prove nothing"


def test_nursery_staff_cannot_open_another_nurserys_records_in_the_back_office(
    world, other_nursery_staff, administrator, staff_login
):
    _family_a, family_b = world
    staff = staff_login(Client(), other_nursery_staff)
    boss = staff_login(Client(), administrator)
    tried, leaks, admin_reached = 0, [], 0
    for model in admin.site._registry:
        if not household_paths(model):
            continue
        from django.db.models import Q

        condition = Q()
        for path in household_paths(model):
            condition |= Q(**{f"{path}__in": [family_b.household.pk]})
        for obj in model._default_manager.filter(condition).distinct():
            url = f"/gestion/{model._meta.app_label}/{model._meta.model_name}/{obj.pk}/change/"
            tried += 1
            if is_leak(staff.get(url, secure=True)):
                leaks.append(url)
            if boss.get(url, secure=True).status_code == 200:
                admin_reached += 1
    record("idor", staff_requests=tried, staff_leaks=len(leaks))
    assert leaks == []
    assert admin_reached > 0


def test_unknown_references_are_404_for_families(family_a):
    client = Client()
    client.force_login(family_a.user)
    statuses = {
        route.name: client.get(fill(route, uuid.uuid4()), secure=True).status_code
        for route in reference_routes()
        if route.namespace == "portal"
    }
    assert {name: status for name, status in statuses.items() if status == 200} == {}
    assert all(status != 500 for status in statuses.values())
