"""A family sets up direct debit online: request, consent page, code by e-mail, signature,
PDF, status page; revoke and change of account."""

import hashlib
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from portail.direct_debits.models import Mandate, SignatureCode
from portail.notifications.models import OutgoingEmail

from .factories import DEBTOR_IBAN, OTHER_IBAN


def _code_from_outbox() -> str:
    email = OutgoingEmail.objects.filter(kind="direct_debit_code").order_by("-pk").first()
    return re.search(r"\b(\d{6})\b", email.body_text).group(1)


def _ask(client, iban=DEBTOR_IBAN, url=None):
    return client.post(
        url or reverse("portal:direct-debit-request"),
        {
            "holder_name": "Camille Martin",
            "holder_address": "3 rue des Lilas\n74990 Val-des-Tilleuls",
            "iban": iban.lower()[:4] + " " + iban[4:],
        },
    )


def _sign(client, response, code=None):
    return client.post(response["Location"], {"consent": "on", "code": code or _code_from_outbox()})


def test_family_signs_a_mandate_online_and_sees_it(client, family, creditor):
    page = client.get(reverse("portal:direct-debits"))
    assert "Ask for direct debit" in page.content.decode() or "Demander" in page.content.decode()

    response = _ask(client)
    assert response.status_code == 302
    consent = client.get(response["Location"]).content.decode()
    for text in ("SEPA", creditor.creditor_name, "FR72ZZZ123456", "8", "13"):
        assert text in consent
    assert DEBTOR_IBAN not in consent and "***0 189" in consent

    signed = _sign(client, response)
    mandate = Mandate.objects.get(payer=family)
    assert signed["Location"] == reverse(
        "portal:direct-debit-signed", kwargs={"reference": mandate.reference}
    )
    assert mandate.status == Mandate.Status.ACTIVE
    assert mandate.rum.startswith("BOURG-") and len(mandate.rum) <= 35
    assert mandate.iban == DEBTOR_IBAN and mandate.iban_last4 == "0189"
    assert mandate.bic == "AGRIFRPPXXX"
    assert mandate.signed_by == family.user and mandate.signed_from_ip == "127.0.0.1"
    content = mandate.read_pdf()
    assert mandate.pdf_sha256 == hashlib.sha256(content).hexdigest()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert mandate.rum in text and "FR72ZZZ123456" in text

    email = OutgoingEmail.objects.get(kind="direct_debit_signed")
    assert mandate.rum in email.subject
    assert DEBTOR_IBAN not in email.body_text and "***0 189" in email.body_text
    assert [a.filename for a in email.attachments.all()] == [f"mandat-{mandate.rum}.pdf"]

    confirmation = client.get(signed["Location"]).content.decode()
    assert mandate.rum in confirmation
    overview = client.get(reverse("portal:direct-debits")).content.decode()
    assert mandate.rum in overview and "**** " in overview and DEBTOR_IBAN not in overview
    pdf = client.get(reverse("portal:direct-debit-mandate-pdf", args=[mandate.reference]))
    assert pdf.status_code == 200


def test_mandate_waits_for_staff_when_the_regie_wants_to_check_it(client, family, creditor):
    creditor.mandates_need_validation = True
    creditor.save()
    _sign(client, _ask(client))
    assert Mandate.objects.get(payer=family).status == Mandate.Status.PENDING


def test_wrong_rib_key_is_refused_with_a_french_message(client, family, creditor):
    response = _ask(client, iban="FR8630001007941234567890199")
    assert response.status_code == 200
    assert "RIB" in response.content.decode()
    assert not SignatureCode.objects.exists()


def test_a_wrong_code_counts_and_five_wrong_codes_block_the_signature(client, family, creditor):
    response = _ask(client)
    right = _code_from_outbox()
    wrong = "000000" if right != "000000" else "111111"
    for tries_left in (4, 3, 2, 1):
        page = _sign(client, response, code=wrong)
        assert page.status_code == 200
        assert str(tries_left) in page.content.decode()
    _sign(client, response, code=wrong)
    page = _sign(client, response, code=right)
    assert page.status_code == 200
    assert not Mandate.objects.exists()
    assert SignatureCode.objects.get().attempts == 5


def test_an_expired_code_does_not_sign(client, family, creditor):
    response = _ask(client)
    SignatureCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    page = _sign(client, response)
    assert page.status_code == 200
    assert not Mandate.objects.exists()


def test_a_code_signs_once(client, family, creditor):
    response = _ask(client)
    code = _code_from_outbox()
    _sign(client, response, code=code)
    replay = _sign(client, response, code=code)
    assert replay.status_code == 404
    assert Mandate.objects.count() == 1


def test_only_a_hash_of_the_code_is_stored(client, family, creditor):
    _ask(client)
    code = _code_from_outbox()
    signature = SignatureCode.objects.get()
    assert len(signature.code_hash) == 64 and signature.code_hash != code
    assert not SignatureCode.objects.filter(code_hash__contains=f":{code}").exists()


def test_a_new_code_is_refused_within_the_minute_then_sent(client, family, creditor):
    response = _ask(client)
    signature = SignatureCode.objects.get()
    url = reverse("portal:direct-debit-resend-code", args=[signature.reference])
    client.post(url)
    assert OutgoingEmail.objects.filter(kind="direct_debit_code").count() == 1
    SignatureCode.objects.update(sent_at=timezone.now() - timedelta(minutes=2))
    client.post(url)
    assert OutgoingEmail.objects.filter(kind="direct_debit_code").count() == 2
    _sign(client, response)
    assert Mandate.objects.count() == 1


def test_family_revokes_its_mandate_after_confirming(client, family, creditor):
    _sign(client, _ask(client))
    mandate = Mandate.objects.get()
    url = reverse("portal:direct-debit-revoke", args=[mandate.reference])
    assert mandate.masked_iban in client.get(url).content.decode()
    client.post(url, {})
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACTIVE
    client.post(url, {"confirm": "on"})
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.REVOKED and mandate.ended_at


def test_changing_the_account_signs_a_new_mandate_and_revokes_the_old(client, family, creditor):
    _sign(client, _ask(client))
    old = Mandate.objects.get()
    url = reverse("portal:direct-debit-change-account", args=[old.reference])
    _sign(client, _ask(client, iban=OTHER_IBAN, url=url))
    old.refresh_from_db()
    new = Mandate.objects.exclude(pk=old.pk).get()
    assert old.status == Mandate.Status.REVOKED
    assert new.status == Mandate.Status.ACTIVE and new.replaces == old
    assert new.iban == OTHER_IBAN and new.rum != old.rum
    assert new.effective_on == old.effective_on


def test_a_second_mandate_for_the_same_payer_is_refused(client, family, creditor):
    _sign(client, _ask(client))
    response = _ask(client)
    assert response.status_code == 200
    assert Mandate.objects.count() == 1


@pytest.mark.parametrize(
    "name",
    [
        "direct-debit-revoke",
        "direct-debit-change-account",
        "direct-debit-mandate-pdf",
        "direct-debit-signed",
    ],
)
def test_another_family_gets_404_on_a_mandate(client, family, creditor, name):
    _sign(client, _ask(client))
    mandate = Mandate.objects.get()
    from tests.factories import make_family_guardian

    client.force_login(make_family_guardian().user)
    assert client.get(reverse(f"portal:{name}", args=[mandate.reference])).status_code == 404
    assert mandate.rum not in client.get(reverse("portal:direct-debits")).content.decode()


def test_another_family_cannot_use_a_signature_code(client, family, creditor):
    response = _ask(client)
    code = _code_from_outbox()
    from tests.factories import make_family_guardian

    client.force_login(make_family_guardian().user)
    assert _sign(client, response, code=code).status_code == 404
    assert not Mandate.objects.exists()


def test_no_iban_in_the_logs(client, family, creditor, caplog):
    caplog.set_level("DEBUG")
    response = _ask(client, iban="FR8630001007941234567890199")  # refused: wrong RIB key
    response = _ask(client)
    _sign(client, response, code="000000" if _code_from_outbox() != "000000" else "111111")
    _sign(client, response)
    client.get(reverse("portal:direct-debits"))
    logged = caplog.text.replace(" ", "")
    assert DEBTOR_IBAN not in logged and "30001007941234567890199" not in logged
