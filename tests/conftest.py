"""Test guards shared by the whole suite. Overrides of settings for tests live here."""

import importlib

import pytest
from django.core.cache import cache
from django.db import connection

BILLING_TRIGGERS = importlib.import_module(
    "portail.billing.migrations.0002_issued_invoices_never_change"
)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Tasks run as soon as they are enqueued (on commit), in the test's process.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Argon2 costs 100 MiB and tens of milliseconds per hash: tests that are not about
    # hashing use a fast hasher (tests/accounts checks the production hasher on its own).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    cache.clear()


@pytest.fixture(autouse=True)
def _database_for_every_test(db):
    """Every test may touch the database (the organisation context processor does)."""


@pytest.fixture(autouse=True)
def _issued_invoices_removed_after_transactional_tests(_database_for_every_test):
    """After a transactional test, Django's flush deletes rows one by one on SQLite, which
    the billing triggers refuse for issued invoices: remove those rows with the triggers off
    first. (PostgreSQL's flush truncates, which row triggers do not see; tests inside a
    transaction are rolled back.)"""
    yield
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return
    from portail.billing.models import CreditNote, Invoice, InvoiceLine
    from portail.direct_debits.models import Debit
    from portail.households.models import Request
    from portail.payments.models import OnlinePayment, Payment, PaymentAllocation

    with connection.cursor() as cursor:
        for statement in BILLING_TRIGGERS.SQLITE_REVERSE:
            cursor.execute(statement)
        # A family's question about an invoice protects the invoice (Request.invoice). In SQL:
        # the ORM would decrypt each row first, and a test may have rotated the keys. Such a
        # question has no absence nor history row pointing at it (accepting it changes nothing).
        cursor.execute(f"DELETE FROM {Request._meta.db_table} WHERE invoice_id IS NOT NULL")  # noqa: S608  # nosec B608: no value in it
    for model in [
        OnlinePayment,
        Debit,
        PaymentAllocation,
        Payment,
        CreditNote,
        InvoiceLine,
        Invoice,
    ]:
        model.objects.all().delete()
    with connection.cursor() as cursor:
        for statement in BILLING_TRIGGERS.SQLITE:
            cursor.execute(statement)


@pytest.fixture
def portal_on_simulator(live_server, settings, monkeypatch):
    """The adapter speaks SOAP to the simulator served by the live server, which notifies the
    portal (SITE_URL) over HTTP. The simulator's URLs are mounted for the whole suite
    (PAYFIP_SIMULATOR_ENABLED=1 in pyproject.toml's pytest env)."""
    import threading
    import time

    from portail.payments import payfip
    from portail.payments.models import OnlinePayment

    settings.SITE_URL = live_server.url
    settings.PAYFIP_ENDPOINT_URL = f"{live_server.url}/payfip-simulateur/tpa/services/securite"
    settings.PAYFIP_PAYMENT_URL = f"{live_server.url}/payfip-simulateur/tpa/paiementws.web"
    monkeypatch.setattr(payfip, "_local", type(payfip._local)())
    # Each thread (the live server's) builds its own SOAP client: keep them to close them.
    made, real_soap = [], payfip._soap

    def soap():
        client = real_soap()
        made.append(client)
        return client

    monkeypatch.setattr(payfip, "_soap", soap)
    yield live_server
    for client in made:
        if hasattr(client, "_client"):
            client._client.transport.session.close()
    # Wait for the live server's threads that served those keep-alive connections: one still
    # running after the server stopped would use the shared SQLite connection.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(
        "process_request_thread" in thread.name for thread in threading.enumerate()
    ):
        time.sleep(0.01)
    # Attempts point at payments (PROTECT): remove them before the suite's clean-up does.
    OnlinePayment.objects.all().delete()
