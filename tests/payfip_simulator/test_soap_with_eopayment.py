"""The simulator answers eopayment 3.15's real client (zeep over HTTP) like PayFiP would."""

import datetime
import time
from decimal import Decimal

import eopayment
import pytest
from eopayment.payfip_ws import PayFiPError

from portail.payfip_simulator import services
from portail.payfip_simulator.models import SimulatedPayment

from .conftest import NUMCLI, RETURN_URL

PAGE = "/payfip-simulateur/tpa/paiementws.web"


def create(eopayment_client, amount="12.34", **kwargs):
    kwargs.setdefault("email", "famille.dupont@example.org")
    kwargs.setdefault("refdet", "F2025000123")
    kwargs.setdefault("exer", "2025")
    kwargs.setdefault("subject", "Crèche janvier 2025")
    idop, _kind, _url = eopayment_client().request(amount, **kwargs)
    return idop


def test_request_gives_an_idop_and_keeps_what_payfip_echoes(eopayment_client):
    idop, kind, url = eopayment_client().request(
        "12.34",
        email="famille.dupont@example.org",
        refdet="F2025000123",
        exer="2025",
        subject="Crèche janvier 2025",
    )

    assert kind == eopayment.URL
    assert len(idop) == 36
    assert url.endswith(f"/tpa/paiementws.web?idop={idop}")
    payment = SimulatedPayment.objects.get(idop=idop)
    assert (payment.numcli, payment.montant, payment.refdet, payment.exer, payment.saisie) == (
        NUMCLI,
        "1234",
        "F2025000123",
        "2025",
        "T",
    )
    assert payment.objet == "Creche janvier 2025"
    assert payment.urlredirect == RETURN_URL


def test_payment_page_shows_the_amount_object_and_reference(client, eopayment_client):
    idop = create(eopayment_client)

    response = client.get(PAGE, {"idop": idop})

    html = response.content.decode()
    assert response.status_code == 200
    assert "12,34\xa0€" in html or "12,34 €" in html
    assert "Creche janvier 2025" in html
    assert "F2025000123" in html
    for label in [
        "Payer par carte (P)",
        "Prélèvement (V)",
        "Refusé (R)",
        "Refusé prélèvement (Z)",
        "Abandonner (A)",
    ]:
        assert label in html


@pytest.mark.parametrize(
    ("choice", "result", "bank_status", "has_numauto"),
    [
        ("P", eopayment.PAID, "paid CB", True),
        ("V", eopayment.PAID, "paid direct debit", True),
        ("R", eopayment.DENIED, "refused CB", False),
        ("Z", eopayment.DENIED, "refused direct debit", False),
    ],
)
def test_choice_notifies_the_portal_sends_the_family_back_and_eopayment_reads_it(
    client, eopayment_client, notification_receiver, choice, result, bank_status, has_numauto
):
    idop = create(eopayment_client)

    response = client.post(f"{PAGE}?idop={idop}", {"result": choice})

    assert response.status_code == 302
    assert response["Location"] == f"{RETURN_URL}?idop={idop}"
    assert [(n["content_type"], n["body"]) for n in notification_receiver.received] == [
        ("application/x-www-form-urlencoded", f"idOp={idop}")
    ]
    answer = eopayment_client().response(f"idop={idop}")
    assert answer.result == result
    assert answer.bank_status == bank_status
    assert answer.signed is True
    assert answer.order_id == idop
    assert answer.test is True
    assert answer.bank_data["montant"] == "1234"
    assert answer.bank_data["refdet"] == "F2025000123"
    assert answer.bank_data["resultrans"] == choice
    numauto = answer.bank_data["numauto"]
    assert bool(numauto) is has_numauto
    expected_id = f"F2025000123 {idop} {numauto}" if has_numauto else f"F2025000123 {idop}"
    assert answer.transaction_id == expected_id
    assert SimulatedPayment.objects.get(idop=idop).notification_outcome == "HTTP 200"


def test_abandon_is_waiting_for_two_minutes_then_cancelled(client, eopayment_client):
    fresh = create(eopayment_client)
    client.post(f"{PAGE}?idop={fresh}", {"result": "A"})
    # An abandon five minutes ago: PayFiP's dattrans/heurtrans come from the simulator clock.
    services.move_clock(minutes=-5)
    older = create(eopayment_client)
    client.post(f"{PAGE}?idop={older}", {"result": "A"})
    services.reset_clock()

    assert eopayment_client().payment_status(fresh).result == eopayment.WAITING
    assert eopayment_client().payment_status(older).result == eopayment.CANCELLED
    assert eopayment_client().payment_status(older).bank_status == "cancelled CB"


def test_pending_idop_is_p5_then_eopayment_waits_and_expires_after_two_hours(eopayment_client):
    idop = create(eopayment_client)
    backend = eopayment_client()

    with pytest.raises(PayFiPError) as error:
        backend.backend.payfip.get_info_paiement(idop)
    assert (error.value.code, error.value.message) == ("P5", "Résultat de la transaction non connu")

    now = datetime.datetime.now(tz=datetime.UTC)
    assert backend.payment_status(idop, transaction_date=now).result == eopayment.WAITING
    three_hours_ago = now - datetime.timedelta(hours=3)
    assert backend.payment_status(idop, transaction_date=three_hours_ago).result == (
        eopayment.EXPIRED
    )


def test_unknown_idop_is_p1_and_expired(eopayment_client):
    backend = eopayment_client()

    with pytest.raises(PayFiPError) as error:
        backend.backend.payfip.get_info_paiement("cc0cb210-1cd4-11ea-8cca-0213ad91a103")

    assert (error.value.code, error.value.message) == ("P1", "IdOp incorrect")
    assert backend.payment_status("cc0cb210-1cd4-11ea-8cca-0213ad91a103").result == (
        eopayment.EXPIRED
    )


def test_idop_page_expires_after_15_minutes_and_the_nightly_purge_forgets_it(
    client, eopayment_client
):
    paris = datetime.timezone(datetime.timedelta(hours=1))
    services.set_clock(at=datetime.datetime(2025, 1, 14, 10, 0, tzinfo=paris))
    idop = create(eopayment_client)
    backend = eopayment_client()

    services.move_clock(minutes=14)
    assert client.get(PAGE, {"idop": idop}).status_code == 200

    services.move_clock(minutes=2)
    page = client.get(PAGE, {"idop": idop})
    assert page.status_code == 410
    assert "P4" in page.content.decode()
    assert client.post(f"{PAGE}?idop={idop}", {"result": "P"}).status_code == 410
    with pytest.raises(PayFiPError, match="P5"):
        backend.backend.payfip.get_info_paiement(idop)

    services.move_clock(minutes=24 * 60)
    with pytest.raises(PayFiPError, match="P1"):
        backend.backend.payfip.get_info_paiement(idop)
    assert SimulatedPayment.objects.get(idop=idop).result == ""


def test_a_result_stays_readable_after_the_nightly_purge(client, eopayment_client):
    idop = create(eopayment_client)
    client.post(f"{PAGE}?idop={idop}", {"result": "P"})

    services.move_clock(minutes=3 * 24 * 60)
    services.purge_unfinished()

    assert eopayment_client().payment_status(idop).result == eopayment.PAID


def test_nightly_purge_forgets_unfinished_expired_idops_only(eopayment_client):
    old = create(eopayment_client)
    services.move_clock(minutes=20)
    recent = create(eopayment_client)

    assert services.purge_unfinished() == 1

    backend = eopayment_client()
    assert backend.payment_status(old).result == eopayment.EXPIRED
    assert backend.payment_status(recent).result == eopayment.WAITING


def test_second_choice_on_the_same_idop_is_refused(client, eopayment_client, notification_receiver):
    idop = create(eopayment_client)
    client.post(f"{PAGE}?idop={idop}", {"result": "R"})

    second = client.post(f"{PAGE}?idop={idop}", {"result": "P"})

    assert second.status_code == 409
    assert "P3" in second.content.decode()
    assert len(notification_receiver.received) == 1
    assert eopayment_client().payment_status(idop).result == eopayment.DENIED


def test_dropped_notifications_still_send_the_family_back(
    client, eopayment_client, notification_receiver, settings
):
    settings.PAYFIP_SIMULATOR_DROP_NOTIFICATIONS = True
    idop = create(eopayment_client)

    response = client.post(f"{PAGE}?idop={idop}", {"result": "P"})

    assert response.status_code == 302
    assert notification_receiver.received == []
    assert SimulatedPayment.objects.get(idop=idop).notification_outcome == "dropped"
    assert eopayment_client().payment_status(idop).result == eopayment.PAID


def test_drop_switch_in_the_database(client, eopayment_client, notification_receiver):
    services.update_state(drop_notifications=True)
    idop = create(eopayment_client)

    client.post(f"{PAGE}?idop={idop}", {"result": "V"})

    assert notification_receiver.received == []


def test_notification_field_can_be_spelt_idop(client, eopayment_client, notification_receiver):
    services.update_state(notification_field="idop")
    idop = create(eopayment_client)

    client.post(f"{PAGE}?idop={idop}", {"result": "P"})

    assert notification_receiver.received[0]["body"] == f"idop={idop}"
    # eopayment's response() reads exactly this body.
    assert eopayment_client().response(notification_receiver.received[0]["body"]).is_paid()


def test_unreachable_portal_is_recorded_and_the_family_still_goes_back(
    client, eopayment_client, notification_receiver
):
    idop = create(eopayment_client)
    SimulatedPayment.objects.filter(idop=idop).update(urlnotif="http://127.0.0.1:9/notif/")

    response = client.post(f"{PAGE}?idop={idop}", {"result": "P"})

    assert response.status_code == 302
    assert SimulatedPayment.objects.get(idop=idop).notification_outcome == "ConnectionError"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"refdet": "ABCD"}, "R3"),
        ({"refdet": "F2025-0001"}, "R3"),
        ({"mel": "a@b.f"}, "A2"),
        ({"mel": "john.doeexample.com"}, "A2"),
        ({"mel": ""}, "A1"),
        ({"numcli": "12345"}, "T1"),
        ({"numcli": "000000"}, "T2"),
        ({"saisie": "M"}, "S1"),
        ({"montant": "12.34"}, "M1"),
        ({"montant": "99"}, "M3"),
        ({"montant": "10000001"}, "M5"),
        ({"url_notification": "ftp://portail.example/"}, "N1"),
        ({"url_redirect": ""}, "D1"),
    ],
)
def test_bad_creation_requests_get_payfips_faults(bundled_wsdl_client, fields, code):
    request = {
        "numcli": NUMCLI,
        "saisie": "T",
        "exer": "2025",
        "refdet": "F2025000123",
        "montant": "1234",
        "mel": "famille.dupont@example.org",
        "url_notification": "https://portail.example/n/",
        "url_redirect": RETURN_URL,
    }
    request.update(fields)

    with pytest.raises(PayFiPError) as error:
        bundled_wsdl_client.get_idop(**request)

    assert error.value.code == code
    assert not SimulatedPayment.objects.exists()


def test_eopayment_itself_refuses_a_mail_without_at(eopayment_client):
    with pytest.raises(ValueError, match="MEL"):
        create(eopayment_client, email="john.doeexample.com")


def test_client_detail_through_the_bundled_wsdl(bundled_wsdl_client):
    answer = bundled_wsdl_client.get_info_client(NUMCLI)

    assert answer.numcli == NUMCLI
    assert answer.libelleN1 == "COLLECTIVITE SIMULEE"
    with pytest.raises(PayFiPError, match="T2"):
        bundled_wsdl_client.get_info_client("000000")


def test_bundled_wsdl_client_reads_a_payment(client, bundled_wsdl_client):
    idop = bundled_wsdl_client.get_idop(
        numcli=NUMCLI,
        saisie="W",
        exer="2025",
        refdet="F2025000124",
        montant="5000",
        mel="famille.dupont@example.org",
        url_notification="http://127.0.0.1:9/n/",
        url_redirect=RETURN_URL,
        objet="Creche fevrier 2025",
    )
    services.update_state(drop_notifications=True)
    client.post(f"{PAGE}?idop={idop}", {"result": "V"})

    detail = bundled_wsdl_client.get_info_paiement(idop)

    assert (detail.idOp, detail.resultrans, detail.montant, detail.saisie) == (
        idop,
        "V",
        "5000",
        "W",
    )
    paris_now = datetime.datetime.now(tz=services.PARIS)
    assert detail.dattrans == paris_now.strftime("%d%m%Y")
    assert len(detail.heurtrans) == 4
    assert detail.numauto.endswith("-tip")


def test_creation_fault_switch_makes_eopayment_fail(eopayment_client):
    services.update_state(creation_failure="fault")

    with pytest.raises(PayFiPError) as error:
        create(eopayment_client)

    assert error.value.code == "unknown"
    assert "TechIndisponibiliteErreur" in error.value.message
    assert not SimulatedPayment.objects.exists()


def test_creation_hang_switch_makes_eopayment_time_out(eopayment_client):
    services.update_state(creation_failure="hang", hang_seconds=1)

    with pytest.raises(PayFiPError) as error:
        create(eopayment_client, timeout=0.3)

    assert error.value.code == "HTTP error"
    assert not SimulatedPayment.objects.exists()
    # Let the server's thread finish its nap while this test still holds the database.
    time.sleep(1.5)


def test_amount_in_cents_is_kept_exactly(eopayment_client):
    idop = create(eopayment_client, amount=str(Decimal("99999.99")))

    assert SimulatedPayment.objects.get(idop=idop).montant == "9999999"
