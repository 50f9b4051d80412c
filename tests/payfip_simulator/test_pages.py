"""The simulator's pages with Django's test client: WSDL, bad SOAP, payment page errors, the
control page, and the guards that keep it out of production."""

import importlib

import pytest
from django.core import checks
from django.urls import NoReverseMatch, clear_url_caches, reverse

from portail.payfip_simulator import services
from portail.payfip_simulator.models import SimulatedPayment

ENVELOPE = (
    '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>{}</S:Body>'
    "</S:Envelope>"
)
TNS = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService"
)


def make_payment(**fields):
    request = {
        "numcli": "123456",
        "saisie": "T",
        "exer": "2025",
        "refdet": "F2025000123",
        "montant": "1234",
        "mel": "famille.dupont@example.org",
        "urlnotif": "http://127.0.0.1:9/n/",
        "urlredirect": "https://portail.example/r/?a=1",
    }
    request.update(fields)
    return services.create_payment(**request)


def test_wsdl_points_eopayments_binding_at_the_simulator(client):
    for url in ["/payfip-simulateur/ws.wsdl", "/payfip-simulateur/tpa/services/securite?wsdl"]:
        response = client.get(url)

        assert response.status_code == 200
        assert '<soap:address location="http://testserver/payfip-simulateur/ws/"/>' in (
            response.content.decode()
        )
    assert client.get("/payfip-simulateur/PaiementSecuriseService_schema3.xsd").status_code == 200
    assert (
        client.get(
            "/payfip-simulateur/tpa/services/PaiementSecuriseService_schema2.xsd"
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<x/>",
        ENVELOPE.format("").encode(),
        ENVELOPE.format('<ns:supprimer xmlns:ns="' + TNS + '"/>').encode(),
        ENVELOPE.format('<ns:recupererDetailClient xmlns:ns="urn:other"/>').encode(),
        b"<a>" * 70000,
    ],
)
def test_garbage_soap_gets_a_client_fault_and_changes_nothing(client, body):
    response = client.post("/payfip-simulateur/ws/", body, content_type="text/xml")

    assert response.status_code == 500
    assert b"<faultcode>S:Client</faultcode>" in response.content
    assert not SimulatedPayment.objects.exists()


def test_xml_entities_are_not_expanded(client):
    body = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        + ENVELOPE.format(
            f'<ns:recupererDetailClient xmlns:ns="{TNS}"><arg0><numCli>&x;</numCli></arg0>'
            "</ns:recupererDetailClient>"
        )
    ).encode()

    response = client.post("/payfip-simulateur/ws/", body, content_type="text/xml")

    assert b"<code>T1</code>" in response.content


def test_soap_endpoint_answers_post_only(client):
    assert client.get("/payfip-simulateur/ws/").status_code == 405


def test_unknown_idop_page_is_a_p1_error(client):
    response = client.get("/payfip-simulateur/tpa/paiementws.web", {"idop": "nope"})

    assert response.status_code == 404
    assert "Erreur PayFiP P1 : IdOp incorrect." in response.content.decode()


def test_expired_page_offers_the_way_back(client):
    payment = make_payment()
    services.move_clock(minutes=15)

    response = client.get("/payfip-simulateur/tpa/paiementws.web", {"idop": payment.idop})

    assert response.status_code == 410
    assert f"https://portail.example/r/?a=1&amp;idop={payment.idop}" in response.content.decode()


def test_unknown_choice_is_refused_and_nothing_recorded(client):
    payment = make_payment()

    response = client.post(
        f"/payfip-simulateur/tpa/paiementws.web?idop={payment.idop}", {"result": "X"}
    )

    assert response.status_code == 400
    assert SimulatedPayment.objects.get(pk=payment.pk).result == ""


def test_control_page_moves_the_clock_purges_and_sets_switches(client):
    payment = make_payment()

    page = client.get("/payfip-simulateur/")
    assert "Pilotage du simulateur" in page.content.decode()
    assert payment.idop in page.content.decode()

    client.post("/payfip-simulateur/", {"action": "move-clock", "minutes": "16"})
    assert services.get_state().clock_offset_seconds == 16 * 60
    client.post("/payfip-simulateur/", {"action": "purge"})
    with pytest.raises(services.Fault, match="P1"):
        services.payment_detail(payment.idop)
    client.post("/payfip-simulateur/", {"action": "reset-clock"})
    assert services.get_state().clock_offset_seconds == 0
    client.post(
        "/payfip-simulateur/",
        {
            "action": "switches",
            "drop_notifications": "on",
            "creation_failure": "fault",
            "notification_field": "idop",
        },
    )
    state = services.get_state()
    assert (state.drop_notifications, state.creation_failure, state.notification_field) == (
        True,
        "fault",
        "idop",
    )


def test_clock_follows_time_machine(time_machine):
    time_machine.move_to("2025-03-01 09:00:00+01:00", tick=False)
    services.move_clock(minutes=30)

    payment = make_payment()

    assert payment.created_at.isoformat() == "2025-03-01T08:30:00+00:00"


def test_check_warns_when_enabled_without_debug(settings):
    settings.DEBUG = False
    settings.PAYFIP_SIMULATOR_ENABLED = True

    ids = [message.id for message in checks.run_checks(tags=[checks.Tags.security])]
    deploy_ids = [
        message.id
        for message in checks.run_checks(
            tags=[checks.Tags.security], include_deployment_checks=True
        )
    ]

    assert "payfip_simulator.W001" in ids
    assert "payfip_simulator.E001" in deploy_ids


def test_check_is_quiet_when_disabled(settings):
    settings.PAYFIP_SIMULATOR_ENABLED = False

    messages = checks.run_checks(tags=[checks.Tags.security], include_deployment_checks=True)

    assert not [m for m in messages if m.id.startswith("payfip_simulator.")]


def test_simulator_is_not_mounted_when_disabled(settings):
    import config.urls

    settings.PAYFIP_SIMULATOR_ENABLED = False
    try:
        importlib.reload(config.urls)
        clear_url_caches()
        with pytest.raises(NoReverseMatch):
            reverse("payfip_simulator:soap")
    finally:
        settings.PAYFIP_SIMULATOR_ENABLED = True
        importlib.reload(config.urls)
        clear_url_caches()
    assert reverse("payfip_simulator:soap") == "/payfip-simulateur/ws/"
