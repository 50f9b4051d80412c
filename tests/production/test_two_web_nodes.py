"""Two web nodes (gunicorn) and two task workers on one PostgreSQL database, as behind a load
balancer: nothing a node keeps for itself matters to the next request."""

import re
import threading
import time

import pytest
import requests
from django.contrib.auth.hashers import make_password

from portail.notifications.models import OutgoingEmail
from portail.payfip_simulator import services as simulator
from portail.payments.models import OnlinePayment, Payment
from tests.payments.conftest import invoice, payfip_regie  # noqa: F401
from tests.portal.conftest import family, organisation  # noqa: F401

from .conftest import free_port, only_on_postgresql

pytestmark = [pytest.mark.django_db(transaction=True), only_on_postgresql]

PASSWORD = "Deux-Noeuds-2026"
TIMEOUT = 20
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def cluster(processes):
    """Node A and node B, and two workers. PayFiP's notifications are sent by the test itself
    (the simulator drops them) so that it chooses which node gets them, and when."""
    port_a, port_b = free_port(), free_port()
    node_a, node_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    processes.environment.update(
        {
            "SITE_URL": node_a,
            "PAYFIP_SIMULATOR_ENABLED": "1",
            "PAYFIP_SIMULATOR_DROP_NOTIFICATIONS": "1",
            "PAYFIP_ENDPOINT_URL": f"{node_b}/payfip-simulateur/tpa/services/securite",
            "PAYFIP_PAYMENT_URL": f"{node_b}/payfip-simulateur/tpa/paiementws.web",
        }
    )
    processes.worker("--interval", "0.2", "--worker-id", "worker-1")
    processes.worker("--interval", "0.2", "--worker-id", "worker-2")
    return processes.web_node(port_a), processes.web_node(port_b)


@pytest.fixture
def family_with_password(family, settings):  # noqa: F811
    # The nodes hash as in production (Argon2), not with the tests' fast hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    family.user.password = make_password(PASSWORD, hasher="argon2")
    family.user.save(update_fields=["password"])
    return family


def csrf_token(page: requests.Response) -> str:
    match = CSRF_FIELD.search(page.text)
    assert match, page.text[:500]
    return match.group(1)


def log_in(browser: requests.Session, node: str, username: str) -> None:
    page = browser.get(f"{node}/connexion/", timeout=TIMEOUT)
    response = browser.post(
        f"{node}/connexion/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(page)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, response.text[:1000]


def test_family_logs_in_on_one_node_and_continues_on_the_other(
    cluster,
    family_with_password,
    invoice,  # noqa: F811
):
    node_a, node_b = cluster
    browser = requests.Session()
    log_in(browser, node_a, "durand.marie")

    page = browser.get(f"{node_b}/mes-factures/", timeout=TIMEOUT, allow_redirects=False)

    assert page.status_code == 200
    assert "F2022-00042" in page.text
    assert browser.get(f"{node_a}/mes-factures/", timeout=TIMEOUT).status_code == 200


def test_notification_on_one_node_and_return_on_the_other_record_one_payment(
    cluster,
    family_with_password,
    invoice,  # noqa: F811
):
    node_a, node_b = cluster
    browser = requests.Session()
    log_in(browser, node_a, "durand.marie")
    pay = f"{node_b}/mes-factures/{invoice.reference}/payer/"
    confirm = browser.get(pay, timeout=TIMEOUT)
    started = browser.post(
        pay,
        data={"csrfmiddlewaretoken": csrf_token(confirm)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert started.status_code == 302, started.text[:1000]
    assert started.headers["Location"].startswith(f"{node_b}/payfip-simulateur/")
    attempt = OnlinePayment.objects.get(invoice=invoice)
    # The family pays on PayFiP's page; PayFiP then notifies and sends the family back.
    simulator.record_result(idop=attempt.idop, result="P")
    barrier = threading.Barrier(2)
    answers = {}

    def notification_to_node_a():
        barrier.wait()
        answers["notification"] = requests.post(
            f"{node_a}/paiement/notification/{attempt.reference}/",
            data={"idOp": attempt.idop},
            timeout=TIMEOUT,
        )

    def return_to_node_b():
        barrier.wait()
        answers["return"] = browser.get(
            f"{node_b}/paiement/en-ligne/{attempt.reference}/",
            params={"idop": attempt.idop},
            timeout=TIMEOUT,
        )

    threads = [
        threading.Thread(target=notification_to_node_a),
        threading.Thread(target=return_to_node_b),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers["notification"].status_code == 200
    assert answers["return"].status_code == 200
    assert Payment.objects.filter(allocations__invoice=invoice).count() == 1
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.Status.PAID
    # One receipt e-mail, sent by one of the two workers.
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        emails = list(OutgoingEmail.objects.filter(kind="payment_received"))
        if emails and all(email.status == "sent" for email in emails):
            break
        time.sleep(0.3)
    assert [email.status for email in emails] == ["sent"]
