"""DATA-06 / ASVS 7.1.1: the logs of a representative set of end-to-end journeys hold no
personal data. Every record of every logger (root, django.request, django.server — the live
server's —, the portal's own) is captured at DEBUG level while a family fails to log in,
logs in, browses, pays an invoice through the PayFiP simulator, writes to the nursery with
an attachment, changes the account of its SEPA mandate (signature code), logs out, resets
its password through the e-mailed link, and staff open the household in the back office.
Then no e-mail address, IBAN, password, issued token, signature code, session key or child
name may appear in any record (message, arguments, exception, extra attributes)."""

import datetime
import logging
import re
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from portail.billing.services import create_regie
from portail.direct_debits.models import SignatureCode
from portail.households.models import Child
from portail.notifications.models import OutgoingEmail
from portail.payments.models import OnlinePayment, Payment
from tests.direct_debits.factories import DEBTOR_IBAN, OTHER_IBAN
from tests.factories import DEFAULT_PASSWORD, InvoiceFactory

from .conftest import staff_client
from .figures import write_figures
from .world import PDF

pytestmark = pytest.mark.django_db(transaction=True)

WRONG_PASSWORD = "Mauvais-Passe-77"
NEW_PASSWORD = "Nouvelle-Lune-2031"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def captured_logs(settings):
    """Every record of every logger as production logs them with LOG_LEVEL=DEBUG: the root
    and every library logger at DEBUG, except the levels settings.LOGGING pins on purpose
    (they are part of what is tested). Restored afterwards."""
    capture = Capture()
    pinned = set(settings.LOGGING.get("loggers", {}))
    root = logging.getLogger()
    loggers = [root] + [logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict)]
    loggers += [logging.getLogger(name) for name in ("django.request", "django.server")]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        if logger is root or (logger.level != logging.NOTSET and logger.name not in pinned):
            logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if logger is root or not logger.propagate:
            logger.addHandler(capture)
    yield capture
    for logger, level, disabled in saved:
        logger.setLevel(level)
        logger.disabled = disabled
        logger.removeHandler(capture)


def text_of(record) -> str:
    parts = [str(record.msg)]
    try:
        parts.append(record.getMessage())
    except Exception:  # a malformed record is still scanned through msg and args
        parts.append(repr(record.args))
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    parts += [
        f"{key}={value!r}" for key, value in vars(record).items() if key not in STANDARD_ATTRIBUTES
    ]
    return "\n".join(parts)


def last_email(kind) -> OutgoingEmail:
    return OutgoingEmail.objects.filter(kind=kind).order_by("-pk").first()


def journeys(live, rich, administrator) -> dict[str, list[str]]:
    """Run the journeys; return the secrets they handled, by kind."""
    user = rich.user
    secrets = {"password": [DEFAULT_PASSWORD, WRONG_PASSWORD, NEW_PASSWORD], "token": []}
    client = Client()
    client.post(reverse("portal:login"), {"username": user.email, "password": WRONG_PASSWORD})
    client.post(reverse("portal:login"), {"username": user.username, "password": DEFAULT_PASSWORD})
    secrets["session key"] = [client.session.session_key]
    for name in ("portal:dashboard", "portal:household", "portal:invoices", "portal:my-data"):
        client.get(reverse(name))
    client.get(reverse("portal:child-detail", args=[rich.child.reference]))
    client.get("/mes-factures/00000000-0000-4000-8000-000000000000/")  # django.request: 404

    # Pay the due invoice through the simulator (real SOAP over HTTP, notification included).
    # (A régie of its own: the family's other régie collects by direct debit, not by card.)
    regie = create_regie(
        name="Régie Crèche Familiale", email="regie.familiale@example.fr",
        accepts_card_online=True, payfip_client_number="123456", payfip_mode="T",
        accepts_direct_debit=False,
    )  # fmt: skip
    due = InvoiceFactory(
        regie=regie, kind=regie.kinds.first(), household=rich.household, payer=rich.guardian,
        number="F2022-JOURNEY", due_on=datetime.date.today(),
    )  # fmt: skip
    response = client.post(reverse("portal:invoice-pay", args=[due.reference]))
    assert response.status_code == 302 and "/payfip-simulateur/" in response["Location"]
    page = urlsplit(response["Location"])
    back = client.post(f"{page.path}?{page.query}", {"result": "P"})
    back_url = urlsplit(back["Location"])
    client.get(f"{back_url.path}?{back_url.query}")
    assert Payment.objects.filter(online_payment__invoice=due).exists(), "not paid"
    secrets["token"] += [a.idop for a in OnlinePayment.objects.exclude(idop="")]

    # A document and a message to the nursery.
    client.post(
        reverse("portal:request-create", args=["document"]),
        {"title": "Carnet de vaccination", "document": SimpleUploadedFile("vaccins.pdf", PDF)},
    )
    client.post(
        reverse("portal:request-create", args=["message"]),
        {"subject": "Sortie", "message": "Départ à 16 h."},
    )

    # Change the mandate's bank account and sign it with the e-mailed code.
    mandate = rich.household.mandates.filter(status="active").first()
    asked = client.post(
        reverse("portal:direct-debit-change-account", args=[mandate.reference]),
        {
            "holder_name": f"Marie {rich.household.name}",
            "holder_address": "3 rue des Lilas\n74990 Val-des-Tilleuls",
            "iban": DEBTOR_IBAN.lower()[:4] + " " + DEBTOR_IBAN[4:],
        },
    )
    code = re.search(r"\b(\d{6})\b", last_email("direct_debit_code").body_text).group(1)
    if asked.status_code == 302:
        client.post(asked["Location"], {"consent": "on", "code": code})
    secrets["signature code"] = [code]
    client.post(reverse("portal:logout"))

    # Forgotten password: the e-mailed link, then the new password.
    anonymous = Client()
    anonymous.post(reverse("portal:password-reset"), {"login": user.email})
    token = re.search(r"/compte/lien/([^/\s]+)/", last_email("password_reset").body_text).group(1)
    secrets["token"] += [token, *rich.secrets.get("token", [])]
    anonymous.get(reverse("portal:account-link", args=[token]))
    anonymous.post(
        reverse("portal:set-password"),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    # Staff read the household in the back office.
    staff = staff_client(administrator)
    staff.get(reverse("admin:households_household_change", args=[rich.household.pk]))
    staff.get(reverse("admin:households_child_change", args=[rich.child.pk]))
    return secrets


@pytest.mark.slow
def test_journeys_leave_no_personal_data_in_the_logs(
    portal_on_simulator, rich_family_a, administrator, captured_logs
):
    children = list(Child.objects.filter(households=rich_family_a.household))
    requests_before = rich_family_a.household.requests.count()
    secrets = journeys(portal_on_simulator, rich_family_a, administrator)
    # The journeys really happened (a silent form error would make the scan meaningless).
    rich_family_a.user.refresh_from_db()
    assert rich_family_a.user.check_password(NEW_PASSWORD)
    assert rich_family_a.household.requests.count() == requests_before + 2
    assert rich_family_a.household.mandates.filter(iban_last4=DEBTOR_IBAN[-4:]).count() >= 1
    assert SignatureCode.objects.filter(used_at__isnull=False).exists()
    secrets["IBAN"] = [DEBTOR_IBAN, OTHER_IBAN, DEBTOR_IBAN[-11:]]
    secrets["child name"] = sorted(
        {child.first_name for child in children} | {child.last_name for child in children}
    )
    texts = [text_of(record) for record in captured_logs.records]
    findings = []
    for kind, values in secrets.items():
        for value in filter(None, values):
            pattern = re.compile(rf"(?<![\w-]){re.escape(str(value))}(?![\w-])")
            findings += [f"{kind}: {text[:200]!r}" for text in texts if pattern.search(text)]
    findings += [f"e-mail address: {m}" for text in texts for m in EMAIL.findall(text)]
    findings += [f"IBAN-like: {m}" for text in texts for m in IBAN.findall(text)]
    by_logger = {}
    for record in captured_logs.records:
        by_logger[record.name] = by_logger.get(record.name, 0) + 1
    write_figures(
        "log_hygiene",
        {
            "records_scanned": len(texts),
            "records_by_logger": by_logger,
            "secret_kinds": [*sorted(secrets), "e-mail address (regex)", "IBAN (regex)"],
            "secrets_tracked": sum(len(values) for values in secrets.values()),
            "findings": len(findings),
            "finding_details": findings[:50],
        },
    )
    assert len(texts) > 50, "too few records: the capture is not working"
    assert {"django.request", "portail.requests"} <= set(by_logger), by_logger
    assert findings == []
