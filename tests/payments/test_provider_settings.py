"""Administrators choose the régie's online payment service; its settings are checked with
eopayment's own description of them, and its secrets stored encrypted, never shown back."""

import json

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from portail.billing.models import Regie
from portail.payments import payfip
from tests.backoffice.conftest import text_of
from tests.factories import StaffUserFactory

from .test_admin import administrator_client

SECRET = "7xQ2kP9mZ4tW8vB3"


def regie_form(regie, **changes):
    request = RequestFactory().get("/")
    request.user = StaffUserFactory(is_superuser=True)
    model_admin = site._registry[Regie]
    form_class = model_admin.get_form(request, regie, change=True)
    data = {
        field: getattr(regie, field)
        for field in form_class.base_fields
        if hasattr(regie, field) and field != "online_provider"
    }
    data = {
        key: ("on" if value is True else value) for key, value in data.items() if value is not False
    }
    data["online_provider"] = regie.online_provider
    data.update(changes)
    return form_class(data=data, instance=regie)


@pytest.fixture
def regie():
    from portail.billing.services import create_regie

    return create_regie(name="Régie Petite Enfance", payfip_client_number="123456")


def test_systempay_settings_are_checked_with_eopayments_rules(regie):
    form = regie_form(
        regie,
        online_provider="systempayv2",
        systempayv2__vads_site_id="12AB",
        systempayv2__secret_test="not alphanumeric!",
        systempayv2__vads_ctx_mode="PRODUCTION",
    )
    assert not form.is_valid()
    assert "systempayv2__vads_site_id" in form.errors
    assert "systempayv2__secret_test" in form.errors
    assert "systempayv2__secret_production" in form.errors


def test_systempay_secrets_are_stored_encrypted_and_never_shown_back(regie):
    form = regie_form(
        regie,
        online_provider="systempayv2",
        systempayv2__vads_site_id="12345678",
        systempayv2__vads_ctx_mode="TEST",
        systempayv2__secret_test=SECRET,
        systempayv2__signature_algo="hmac_sha256",
    )
    assert form.is_valid(), form.errors
    form.save()
    regie.refresh_from_db()
    assert regie.online_provider_options["vads_site_id"] == "12345678"
    assert regie.online_provider_secret_values == {"secret_test": SECRET}
    assert regie.has_online_payment and not regie.has_payfip
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT online_provider_secrets FROM billing_regie WHERE id = %s", [regie.pk]
        )
        stored = cursor.fetchone()[0]
    assert stored.startswith("fernet:") and SECRET not in stored

    page = administrator_client().get(reverse("admin:billing_regie_change", args=[regie.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and SECRET not in html
    assert "Une valeur est enregistrée (chiffrée)" in text_of(page)
    # SystemPay has no operation to test a connection without paying.
    assert "Tester la connexion" not in text_of(page)

    # Saved again without typing the secret: it is kept.
    form = regie_form(regie, systempayv2__vads_site_id="87654321")
    assert form.is_valid(), form.errors
    form.save()
    regie.refresh_from_db()
    assert regie.online_provider_secret_values == {"secret_test": SECRET}
    assert regie.online_provider_options["vads_site_id"] == "87654321"


def test_paybox_settings_are_checked_with_eopayments_rules(regie):
    form = regie_form(
        regie,
        online_provider="paybox",
        paybox__site="123",
        paybox__rang="32",
        paybox__identifiant="107904482",
        paybox__shared_secret="xyz",
    )
    assert not form.is_valid()
    assert set(form.errors) >= {"paybox__site", "paybox__shared_secret"}


def test_back_to_payfip_forgets_the_other_services_settings(regie):
    regie.online_provider = "systempayv2"
    regie.online_provider_options = {"vads_site_id": "12345678"}
    regie.online_provider_secrets = json.dumps({"secret_test": SECRET})
    regie.save()
    form = regie_form(regie, online_provider="payfip_ws")
    assert form.is_valid(), form.errors
    form.save()
    regie.refresh_from_db()
    assert regie.online_provider_options == {} and regie.online_provider_secrets == ""
    assert regie.has_payfip


def test_only_payfip_offers_the_connection_test():
    assert payfip.supports_connection_test("payfip_ws")
    assert not payfip.supports_connection_test("systempayv2")
    assert not payfip.supports_connection_test("paybox")
