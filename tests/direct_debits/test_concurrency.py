"""Signatures and code checks at the same moment (PostgreSQL: SQLite serialises writers and
ignores select_for_update): every mandate gets its own RUM, a code signs once, and a payer
never ends up with two live mandates."""

import threading

import pytest
from django.db import connection, connections

from portail.direct_debits import services
from portail.direct_debits.models import Mandate, SignatureCode
from tests.factories import make_family_guardian

from .factories import DEBTOR_IBAN, CreditorSettingsFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

THREADS = 8


def _all_at_once(count, work):
    barrier = threading.Barrier(count)
    errors = []

    def run(index):
        try:
            barrier.wait()
            work(index)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _request(payer, regie, monkeypatch, codes):
    monkeypatch.setattr(services.mandates, "_new_code", lambda: "123456")
    signature = services.request_mandate(
        user=payer.user,
        payer=payer,
        regie=regie,
        holder_name="Camille Martin",
        holder_address="1 rue des Lilas",
        iban=DEBTOR_IBAN,
    )
    codes.append(signature)
    return signature


def test_concurrent_signatures_get_distinct_rums(monkeypatch):
    regie = CreditorSettingsFactory().regie
    payers = [make_family_guardian() for _ in range(THREADS)]
    signatures = []
    for payer in payers:
        _request(payer, regie, monkeypatch, signatures)
    errors = _all_at_once(
        THREADS,
        lambda index: services.sign_mandate(
            signature=signatures[index], code="123456", ip_address="127.0.0.1"
        ),
    )
    assert errors == []
    rums = list(Mandate.objects.values_list("rum", flat=True))
    assert len(rums) == THREADS == len(set(rums))


def test_one_code_typed_in_two_tabs_signs_once(monkeypatch):
    regie = CreditorSettingsFactory().regie
    payer = make_family_guardian()
    signatures = []
    _request(payer, regie, monkeypatch, signatures)
    errors = _all_at_once(
        4,
        lambda _index: services.sign_mandate(
            signature=signatures[0], code="123456", ip_address="127.0.0.1"
        ),
    )
    assert Mandate.objects.count() == 1
    assert len(errors) == 3 and all(isinstance(e, services.MandateError) for e in errors)
    assert SignatureCode.objects.get().used_at is not None
