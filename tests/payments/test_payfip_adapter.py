"""The adapter's own rules: cents, debt references, limits, the client check."""

from decimal import Decimal

import pytest

from portail.payments import payfip


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("29.00", "2900"), ("0.99", "99"), ("1.10", "110"), ("99999.99", "9999999")],
)
def test_amounts_become_exact_cents(amount, cents):
    assert payfip.to_cents(Decimal(amount)) == cents


def test_an_amount_with_more_than_two_decimals_is_refused():
    with pytest.raises(ValueError):
        payfip.to_cents(Decimal("10.567"))


@pytest.mark.parametrize(
    ("number", "refdet"),
    [
        ("F2022-00042", "F202200042"),
        ("2025-00001", "202500001"),
        ("F1", "0000F1"),
        ("Fé-2022/12", "FE202212"),
        ("A" * 40, "A" * 30),
    ],
)
def test_refdet_has_6_to_30_letters_or_digits(number, refdet):
    assert payfip.refdet_for(number) == refdet


def test_payfip_limits_are_one_euro_to_a_hundred_thousand():
    assert not payfip.is_amount_accepted(Decimal("0.99"))
    assert payfip.is_amount_accepted(Decimal("1.00"))
    assert payfip.is_amount_accepted(Decimal("99999.99"))
    assert not payfip.is_amount_accepted(Decimal("100000.00"))


def test_client_details_come_from_recupererDetailClient(payfip_regie, payfip_service):
    assert payfip.client_details(regie=payfip_regie)["libelleN1"] == "RR COMPOSTEUR"


def test_unknown_client_is_a_payfip_error(payfip_regie, payfip_service):
    payfip_regie.payfip_client_number = "999999"
    with pytest.raises(payfip.PayFiPUnavailable) as error:
        payfip.client_details(regie=payfip_regie)
    assert error.value.code == "A1"


def test_endpoint_and_payment_page_are_settings(settings, payfip_regie):
    settings.PAYFIP_ENDPOINT_URL = "http://127.0.0.1:9/payfip-simulateur/tpa/services/securite"
    client = payfip._soap()
    assert client.client.service._binding_options["address"] == settings.PAYFIP_ENDPOINT_URL


@pytest.mark.parametrize(
    ("resultrans", "status"),
    [
        ("P", "paid"),
        ("V", "paid"),
        ("R", "refused"),
        ("Z", "refused"),
        ("A", "cancelled"),
        ("Q", "error"),
    ],
)
def test_payfip_results_in_our_words(payfip_regie, payfip_service, resultrans, status):
    import datetime

    idop = payfip_service.get_idop(
        numcli="123456", saisie="T", exer="2022", refdet="F202200042", montant="2900",
        mel="a@b.fr", url_notification="http://x/", url_redirect="http://x/",
    )  # fmt: skip
    an_hour_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    payfip_service.pay(idop, resultrans, at=an_hour_ago)
    result = payfip.fetch_result(regie=payfip_regie, idop=idop, started_at=an_hour_ago)
    assert result.status == status
    assert result.amount == Decimal("29.00")


@pytest.mark.parametrize(
    ("minutes", "status"), [(10, "waiting"), (119, "waiting"), (121, "expired")]
)
def test_p5_waits_two_hours_before_expiring(payfip_regie, payfip_service, minutes, status):
    import datetime

    idop = payfip_service.get_idop(
        numcli="123456", saisie="T", exer="2022", refdet="F202200042", montant="2900",
        mel="a@b.fr", url_notification="http://x/", url_redirect="http://x/",
    )  # fmt: skip
    started = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=minutes)
    assert payfip.fetch_result(regie=payfip_regie, idop=idop, started_at=started).status == status


def test_p1_is_expired(payfip_regie, payfip_service):
    import datetime

    now = datetime.datetime.now(datetime.UTC)
    assert payfip.fetch_result(regie=payfip_regie, idop="inconnu", started_at=now).status == (
        "expired"
    )


def test_fault_and_timeout_are_payfip_unavailable(payfip_regie, payfip_service):
    import datetime

    from eopayment.payfip_ws import PayFiPError

    payfip_service.fail_lookups = PayFiPError("HTTP error", "Read timed out")
    with pytest.raises(payfip.PayFiPUnavailable) as error:
        payfip.fetch_result(
            regie=payfip_regie, idop="x", started_at=datetime.datetime.now(datetime.UTC)
        )
    assert error.value.code == "HTTP error"
