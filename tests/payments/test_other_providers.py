"""SystemPay/PayZen and Paybox through the same adapter, with their real protocols: the
portal posts the signed form eopayment builds, and the services' answers are built here as
they would send them, signed with the test secret (SystemPay: HMAC-SHA-256 of the sorted
``vads_`` fields; Paybox: RSA SHA-1 of the returned variables, under a test key standing for
Paybox's). Paid once, forged refused, replayed a no-op."""

import base64
import hashlib
import hmac
import json
import re
from html import unescape
from urllib.parse import quote, urlencode

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.urls import reverse
from eopayment import paybox as eopayment_paybox

from portail.billing.models import Invoice
from portail.billing.services import create_regie
from portail.notifications.models import OutgoingEmail
from portail.payments.models import OnlinePayment, Payment
from tests.factories import InvoiceFactory

from .helpers import pay_url, return_url

SYSTEMPAY_SECRET = "7xQ2kP9mZ4tW8vB3"
SYSTEMPAY_URL = "https://paiement.systempay.fr/vads-payment/"


def notification_url(attempt):
    return reverse("portal:payment-notification", kwargs={"reference": attempt.reference})


def form_fields(html: str) -> dict:
    return {
        unescape(name): unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    }


def systempay_sign(fields: dict, secret: str = SYSTEMPAY_SECRET) -> str:
    signed = "+".join(fields[key] for key in sorted(k for k in fields if k.startswith("vads_")))
    digest = hmac.new(secret.encode(), f"{signed}+{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def systempay_answer(sent: dict, *, result="00", secret=SYSTEMPAY_SECRET, **changes) -> str:
    """What SystemPay posts back after the family paid (or not) on its page."""
    fields = {key: value for key, value in sent.items() if key.startswith("vads_")}
    fields.update(
        {
            "vads_result": result,
            "vads_auth_result": result,
            "vads_auth_number": "3fa4c2" if result == "00" else "",
            "vads_trans_status": "AUTHORISED" if result == "00" else "REFUSED",
            "vads_effective_creation_date": "20260115103000",
            "vads_card_brand": "CB",
            "vads_card_number": "497010XXXXXX0000",
            **changes,
        }
    )
    fields["signature"] = systempay_sign(fields, secret)
    return urlencode(fields)


@pytest.fixture
def systempay_regie():
    return create_regie(
        name="Régie Petite Enfance",
        email="regie@bourg.example.fr",
        online_provider="systempayv2",
        online_provider_options={
            "service_url": SYSTEMPAY_URL,
            "vads_site_id": "12345678",
            "vads_ctx_mode": "TEST",
            "signature_algo": "hmac_sha256",
            "vads_payment_config": "SINGLE",
        },
        online_provider_secrets=json.dumps({"secret_test": SYSTEMPAY_SECRET}),
    )


@pytest.fixture
def sp_invoice(family, systempay_regie):
    return InvoiceFactory(
        regie=systempay_regie,
        kind=systempay_regie.kinds.get(label="FACTURE JEUNESSE"),
        household=family.household,
        payer=family.guardian,
        number="F2022-00042",
    )


def start(family_client, invoice) -> tuple[OnlinePayment, dict]:
    response = family_client.post(pay_url(invoice))
    assert response.status_code == 200
    attempt = OnlinePayment.objects.filter(invoice=invoice).latest("created_at")
    return attempt, form_fields(response.content.decode())


def test_confirmation_page_names_the_invoice_the_amount_and_the_service(family_client, sp_invoice):
    html = family_client.get(pay_url(sp_invoice)).content.decode()
    assert "Confirmer le paiement par carte" in html
    assert "F2022-00042" in html and "29,00" in html
    assert "SystemPay / PayZen" in html
    assert not OnlinePayment.objects.exists()


def test_family_is_sent_to_systempay_with_a_signed_form(family_client, sp_invoice):
    response = family_client.post(pay_url(sp_invoice))
    html = response.content.decode()
    assert f'action="{SYSTEMPAY_URL}"' in html
    sent = form_fields(html)
    attempt = OnlinePayment.objects.get()
    assert attempt.provider == "systempayv2" and attempt.status == OnlinePayment.Status.WAITING
    assert sent["vads_amount"] == "2900"
    assert sent["vads_site_id"] == "12345678" and sent["vads_ctx_mode"] == "TEST"
    assert sent["vads_ext_info_eopayment_trans_id"] == attempt.reference.hex == attempt.idop
    assert sent["vads_url_check"].endswith(notification_url(attempt))
    assert sent["signature"] == systempay_sign(sent)
    # Without JavaScript the family presses the button; the secret never reaches the page.
    assert "Continuer vers SystemPay / PayZen" in html
    assert SYSTEMPAY_SECRET not in html


def test_systempay_notification_records_the_payment_once(
    family_client, sp_invoice, client, django_capture_on_commit_callbacks
):
    attempt, sent = start(family_client, sp_invoice)
    body = systempay_answer(sent)
    for _ in range(3):  # the notification, then replays of it
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                notification_url(attempt), body, content_type="application/x-www-form-urlencoded"
            )
        assert response.status_code == 200
    payment = Payment.objects.get()
    assert payment.amount == sp_invoice.total and payment.bank_reference == "3fa4c2"
    assert Invoice.objects.get(pk=sp_invoice.pk).status == Invoice.Status.PAID
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.Status.PAID
    assert attempt.bank_data["vads_card_number"] == "497010XXXXXX0000"
    assert OutgoingEmail.objects.filter(kind="payment_received").count() == 1
    page = family_client.get(return_url(attempt)).content.decode()
    assert "Paiement terminé" in page


def test_the_familys_return_with_the_signed_result_is_enough(family_client, sp_invoice):
    attempt, sent = start(family_client, sp_invoice)
    response = family_client.get(return_url(attempt) + "?" + systempay_answer(sent))
    assert response.status_code == 302 and response["Location"] == return_url(attempt)
    assert Payment.objects.count() == 1
    assert "Paiement terminé" in family_client.get(return_url(attempt)).content.decode()


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda sent: systempay_answer(sent, secret="not-the-secret"), id="wrong-key"),
        pytest.param(
            lambda sent: systempay_answer(sent).replace("vads_amount=2900", "vads_amount=100"),
            id="amount-changed-after-signing",
        ),
        pytest.param(
            lambda sent: re.sub(r"&signature=[^&]*", "", systempay_answer(sent)), id="unsigned"
        ),
        pytest.param(
            lambda sent: systempay_answer(sent, vads_ctx_mode="PRODUCTION"),
            id="other-mode",
        ),
        pytest.param(lambda sent: "vads_result=00&idop=x", id="garbage"),
    ],
)
def test_forged_systempay_answers_change_nothing(family_client, sp_invoice, client, forge):
    attempt, sent = start(family_client, sp_invoice)
    response = client.post(
        notification_url(attempt), forge(sent), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.Status.WAITING
    assert not Payment.objects.exists()


def test_a_genuine_answer_about_another_payment_is_refused(
    family_client, sp_invoice, family, systempay_regie, client
):
    _attempt, sent = start(family_client, sp_invoice)
    other = InvoiceFactory(
        regie=systempay_regie,
        kind=sp_invoice.kind,
        household=family.household,
        payer=family.guardian,
        number="F2022-00043",
    )
    other_attempt, _ = start(family_client, other)
    client.post(
        notification_url(other_attempt),
        systempay_answer(sent),
        content_type="application/x-www-form-urlencoded",
    )
    assert not Payment.objects.exists()
    other_attempt.refresh_from_db()
    assert other_attempt.status == OnlinePayment.Status.WAITING


def test_a_refusal_is_told_and_the_family_can_try_again(family_client, sp_invoice, client):
    attempt, sent = start(family_client, sp_invoice)
    client.post(
        notification_url(attempt),
        systempay_answer(sent, result="05"),
        content_type="application/x-www-form-urlencoded",
    )
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.Status.REFUSED
    page = family_client.get(return_url(attempt)).content.decode()
    assert "refusé" in page and "Réessayer" in page
    assert not Payment.objects.exists()


def test_reconciliation_leaves_systempay_attempts_alone(family_client, sp_invoice):
    from portail.payments.services import reconcile_online_payments

    attempt, _sent = start(family_client, sp_invoice)
    OnlinePayment.objects.filter(pk=attempt.pk).update(
        created_at=attempt.created_at - __import__("datetime").timedelta(minutes=30)
    )
    assert reconcile_online_payments() == {}


# --- Paybox --------------------------------------------------------------------------------

PAYBOX_SECRET = "0123456789ABCDEF" * 8


@pytest.fixture
def paybox_key(monkeypatch):
    """A key pair standing for Paybox's: eopayment verifies with the public half."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    monkeypatch.setattr(eopayment_paybox.verify, "__defaults__", (public.decode(),))
    return key


def paybox_answer(key, *, reference: str, amount_cents: str, erreur="00000") -> str:
    """What Paybox appends to the return and notification URLs (PBX_RETOUR), signed."""
    pairs = [
        ("montant", amount_cents),
        ("reference", reference),
        ("code_autorisation", "XXXXXX" if erreur == "00000" else ""),
        ("erreur", erreur),
        ("numero_appel", "0010035123"),
        ("numero_transaction", "0010086456"),
        ("date_transaction", "20260115"),
        ("heure_transaction", "10:30:00"),
    ]
    signed = "&".join(f"{name}={quote(value)}" for name, value in pairs)
    # Paybox's protocol signs with SHA-1 and RSA: the test speaks it as it is.
    signature = key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    return signed + "&signature=" + quote(base64.b64encode(signature).decode(), safe="")


@pytest.fixture
def pb_invoice(family):
    regie = create_regie(
        name="Régie Périscolaire",
        email="regie@bourg.example.fr",
        online_provider="paybox",
        online_provider_options={
            "platform": "test",
            "site": "1999888",
            "rang": "32",
            "identifiant": "107904482",
        },
        online_provider_secrets=json.dumps({"shared_secret": PAYBOX_SECRET}),
    )
    return InvoiceFactory(
        regie=regie,
        kind=regie.kinds.get(label="FACTURE JEUNESSE"),
        household=family.household,
        payer=family.guardian,
        number="P2022-00007",
    )


def test_paybox_payment_is_recorded_once_and_forgeries_refused(
    family_client, pb_invoice, client, paybox_key
):
    attempt, sent = start(family_client, pb_invoice)
    assert sent["PBX_CMD"] == attempt.reference.hex and sent["PBX_TOTAL"] == "2900"
    assert sent["PBX_REPONDRE_A"].endswith(notification_url(attempt))
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = paybox_answer(forger, reference=attempt.idop, amount_cents="2900")
    assert client.get(notification_url(attempt) + "?" + forged).status_code == 200
    assert not Payment.objects.exists()

    genuine = paybox_answer(paybox_key, reference=attempt.idop, amount_cents="2900")
    for _ in range(2):
        assert client.get(notification_url(attempt) + "?" + genuine).status_code == 200
    payment = Payment.objects.get()
    assert payment.amount == pb_invoice.total and payment.bank_reference == "XXXXXX"
    assert Invoice.objects.get(pk=pb_invoice.pk).status == Invoice.Status.PAID


def test_paybox_paid_amount_that_differs_is_not_recorded(
    family_client, pb_invoice, client, paybox_key
):
    attempt, _sent = start(family_client, pb_invoice)
    answer = paybox_answer(paybox_key, reference=attempt.idop, amount_cents="100")
    client.get(notification_url(attempt) + "?" + answer)
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.Status.ERROR and "montant" in attempt.error
    assert not Payment.objects.exists()
