"""The PayFiP Régie web service (DGFiP), through eopayment's ``payfip_ws`` backend.

The only module that imports eopayment. It speaks our language at its border: amounts are
``Decimal`` euros outside and cents only here; results are ``OnlinePayment.Status`` values;
every failure is a ``PayFiPUnavailable`` carrying PayFiP's code.

Settings (official addresses by default, so that the simulator can stand in):
``PAYFIP_WSDL_URL`` (empty: eopayment's bundled copy of the WSDL), ``PAYFIP_ENDPOINT_URL``
(the SOAP address), ``PAYFIP_PAYMENT_URL`` (the page the family is sent to) and
``PAYFIP_TIMEOUT`` (seconds, 15 like eopayment)."""

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import eopayment
from django.conf import settings
from eopayment import payfip_ws

from .models import OnlinePayment

OFFICIAL_ENDPOINT_URL = "https://www.payfip.gouv.fr/tpa/services/securite"
OFFICIAL_PAYMENT_URL = payfip_ws.PAYMENT_URL
BINDING = (
    "{http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService}PaiementSecuriseServicePortBinding"
)

MINIMAL_AMOUNT = Decimal(payfip_ws.Payment.minimal_amount).quantize(Decimal("0.01"))
MAXIMAL_AMOUNT = Decimal(payfip_ws.Payment.maximal_amount).quantize(Decimal("0.01"))
# An idop opens PayFiP's payment page for 15 minutes after it was given.
IDOP_LIFETIME_MINUTES = 15

_RESULTS = {
    eopayment.PAID: OnlinePayment.Status.PAID,
    eopayment.ACCEPTED: OnlinePayment.Status.PAID,
    eopayment.DENIED: OnlinePayment.Status.REFUSED,
    eopayment.CANCELLED: OnlinePayment.Status.CANCELLED,
    eopayment.WAITING: OnlinePayment.Status.WAITING,
    eopayment.RECEIVED: OnlinePayment.Status.WAITING,
    eopayment.EXPIRED: OnlinePayment.Status.EXPIRED,
    eopayment.ERROR: OnlinePayment.Status.ERROR,
}


class PayFiPUnavailable(Exception):
    """PayFiP answered with a fault, or did not answer (``code`` says which)."""

    def __init__(self, code: str, message: str = ""):
        self.code = str(code)
        self.message = str(message)
        super().__init__(f"{self.code}: {self.message}")


@dataclass(frozen=True)
class Created:
    idop: str
    payment_url: str


@dataclass(frozen=True)
class Result:
    """What PayFiP says about an idop, in our words."""

    status: str
    bank_status: str = ""
    bank_data: dict = field(default_factory=dict)

    @property
    def amount(self) -> Decimal | None:
        """The amount PayFiP took, back from cents."""
        cents = str(self.bank_data.get("montant") or "")
        return (Decimal(cents) / 100).quantize(Decimal("0.01")) if cents.isdigit() else None

    @property
    def numauto(self) -> str:
        return str(self.bank_data.get("numauto") or "")

    @property
    def paid_at(self) -> datetime | None:
        dattrans = self.bank_data.get("dattrans") or ""
        heurtrans = self.bank_data.get("heurtrans") or ""
        try:
            moment = datetime.strptime(f"{dattrans}{heurtrans}", "%d%m%Y%H%M")
        except ValueError:
            return None
        return moment.replace(tzinfo=ZoneInfo("Europe/Paris"))


def to_cents(amount: Decimal) -> str:
    """« 12,34 € » → ``"1234"``: exact, from a Decimal, never a float."""
    cents = (Decimal(amount) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    if cents != Decimal(amount) * 100:
        raise ValueError(f"{amount} has more than two decimals")
    return str(int(cents))


def refdet_for(number: str) -> str:
    """The debt reference PayFiP accepts (6 to 30 letters or digits) from an invoice number:
    accents dropped, separators removed, left-padded with zeros, the last 30 kept."""
    ascii_only = unicodedata.normalize("NFKD", number).encode("ascii", "ignore").decode()
    reduced = re.sub(r"[^A-Za-z0-9]", "", ascii_only).upper()
    return reduced.rjust(6, "0")[-30:]


def is_amount_accepted(amount: Decimal) -> bool:
    return MINIMAL_AMOUNT <= amount < MAXIMAL_AMOUNT


_local = threading.local()


def _soap():
    """One SOAP client per thread (zeep parses the WSDL once; its transport settings are
    not shared between threads)."""
    wsdl_url = getattr(settings, "PAYFIP_WSDL_URL", "") or None
    endpoint_url = getattr(settings, "PAYFIP_ENDPOINT_URL", "") or OFFICIAL_ENDPOINT_URL
    key = (wsdl_url, endpoint_url)
    cached = getattr(_local, "clients", {})
    if key not in cached:
        client = payfip_ws.PayFiP(wsdl_url=wsdl_url, use_local_wsdl=wsdl_url is None)
        if wsdl_url is None and endpoint_url != OFFICIAL_ENDPOINT_URL:
            # The bundled WSDL names the official address; point the same binding elsewhere
            # (zeep's Client.service returns this cached service).
            zeep_client = client.client
            zeep_client._default_service = zeep_client.create_service(BINDING, endpoint_url)
        cached[key] = client
        _local.clients = cached
    return cached[key]


def _timeout() -> int:
    return int(getattr(settings, "PAYFIP_TIMEOUT", payfip_ws.PayFiP.default_timeout))


def _backend(regie, *, return_url: str = "", notification_url: str = ""):
    backend = payfip_ws.Payment(
        {
            "numcli": regie.payfip_client_number,
            "saisie": regie.payfip_mode,
            "normal_return_url": return_url,
            "automatic_return_url": notification_url,
        }
    )
    backend.payfip = _soap()
    return backend


def _unavailable(error: Exception) -> PayFiPUnavailable:
    if isinstance(error, payfip_ws.PayFiPError):
        return PayFiPUnavailable(error.code, error.message)
    return PayFiPUnavailable("error", str(error))


def create_payment(
    *,
    regie,
    amount: Decimal,
    email: str,
    refdet: str,
    exer: str,
    subject: str,
    return_url: str,
    notification_url: str,
) -> Created:
    """``creerPaiementSecurise``: an idop and the page where the family pays."""
    backend = _backend(regie, return_url=return_url, notification_url=notification_url)
    try:
        to_cents(amount)  # refuses more than two decimals: eopayment would truncate them
        if not is_amount_accepted(amount):
            raise ValueError(f"amount {amount} outside PayFiP's limits")
        idop, _kind, _url = backend.request(
            # eopayment turns these euros into cents (« montant »).
            str(Decimal(amount).quantize(Decimal("0.01"))),
            email=email,
            refdet=refdet,
            exer=exer,
            subject=subject,
            timeout=_timeout(),
        )
    except (payfip_ws.PayFiPError, ValueError) as error:
        raise _unavailable(error) from error
    return Created(idop=idop, payment_url=payment_page_url(idop))


def payment_page_url(idop: str) -> str:
    """PayFiP's page where the family pays this idop (open for 15 minutes)."""
    payment_url = getattr(settings, "PAYFIP_PAYMENT_URL", "") or OFFICIAL_PAYMENT_URL
    return f"{payment_url}?{urlencode({'idop': idop})}"


def fetch_result(*, regie, idop: str, started_at: datetime) -> Result:
    """``recupererDetailPaiementSecurise`` read with eopayment's own rules: P5 is « waiting »
    for two hours after ``started_at`` and only then « expired »; P1 is « expired »; an
    abandon stays « waiting » for two minutes while the idop is still active."""
    backend = _backend(regie)
    try:
        response = backend.payment_status(idop, transaction_date=started_at, timeout=_timeout())
    except payfip_ws.PayFiPError as error:
        raise _unavailable(error) from error
    except Exception as error:  # whatever zeep or requests raise
        raise _unavailable(error) from error
    bank_data = {
        key: (None if value is None else str(value))
        for key, value in (response.bank_data or {}).items()
    }
    return Result(
        status=_RESULTS.get(response.result, OnlinePayment.Status.ERROR),
        bank_status=str(response.bank_status or "")[:200],
        bank_data=bank_data,
    )


def client_details(*, regie) -> dict:
    """``recupererDetailClient``: the labels PayFiP has for this client number."""
    try:
        response = _soap().get_info_client(regie.payfip_client_number, timeout=_timeout())
    except payfip_ws.PayFiPError as error:
        raise _unavailable(error) from error
    return {key: (None if response[key] is None else str(response[key])) for key in response}
