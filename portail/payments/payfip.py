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
class PaymentForm:
    """The form the family's browser posts to a redirect-form provider (SystemPay, Paybox)."""

    url: str
    fields: list[tuple[str, str]]


@dataclass(frozen=True)
class Created:
    idop: str
    payment_url: str
    form: PaymentForm | None = None


@dataclass(frozen=True)
class Result:
    """What the payment service says about a payment, in our words. PayFiP's figures are read
    from its ``bank_data``; the other services' are given explicitly (``taken_*``)."""

    status: str
    bank_status: str = ""
    bank_data: dict = field(default_factory=dict)
    taken_amount: Decimal | None = None
    taken_authorisation: str = ""
    taken_at: datetime | None = None

    @property
    def amount(self) -> Decimal | None:
        """The amount the service took, back from cents."""
        if self.taken_amount is not None:
            return self.taken_amount
        return _from_cents(self.bank_data.get("montant"))

    @property
    def numauto(self) -> str:
        if self.taken_authorisation:
            return self.taken_authorisation
        return str(self.bank_data.get("numauto") or "")

    @property
    def paid_at(self) -> datetime | None:
        if self.taken_at is not None:
            return self.taken_at
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


def _from_cents(value) -> Decimal | None:
    cents = str(value or "")
    return (Decimal(cents) / 100).quantize(Decimal("0.01")) if cents.isdigit() else None


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


# --- Other French payment services, through the same adapter ------------------------------
#
# A régie may have a contract with a bank's service instead of PayFiP. SystemPay/PayZen and
# Paybox work by redirect form: the family's browser posts a signed form to the service, which
# sends the result back signed, both to the notification URL and with the family's return.
# eopayment checks that signature; nothing unsigned, or signed for another payment, is applied.

PAYFIP = "payfip_ws"
FORM_PROVIDERS = ("systempayv2", "paybox")
# eopayment's names for secrets: stored encrypted, never shown back.
SECRET_PARAMETERS = frozenset(
    {"secret_test", "secret_production", "shared_secret", "cle", "secret_key", "api_key"}
)
# Set by the portal for each payment, never by staff.
PER_PAYMENT_PARAMETERS = frozenset({"normal_return_url", "automatic_return_url", "callback"})


class ForgedResponse(Exception):
    """A response that is not the service's, or not about this payment: ignored."""


@dataclass(frozen=True)
class ProviderParameter:
    """One setting of a payment service, as eopayment describes it."""

    name: str
    caption: str
    help_text: str
    required: bool
    is_secret: bool
    choices: tuple[tuple[str, str], ...]
    default: str
    validation: object = None

    def error(self, value: str) -> str:
        """Why ``value`` is refused (a sentence for staff), or ""."""
        from django.utils.translation import gettext

        if value in ("", None):
            if self.required and not self.default:
                return gettext("This setting is required.")
            return ""
        if self.choices and value not in {choice for choice, _label in self.choices}:
            return gettext("Choose one of: {choices}.").format(
                choices=", ".join(choice for choice, _label in self.choices)
            )
        try:
            accepted = self.validation is None or bool(self.validation(value))
        except Exception:  # eopayment's checks assume well-formed strings
            accepted = False
        return "" if accepted else gettext("This value is not accepted by the payment service.")


def provider_caption(provider: str) -> str:
    return str(eopayment.get_backend(provider).description.get("caption", provider))


def provider_parameters(provider: str) -> list[ProviderParameter]:
    """The settings staff give for a redirect-form service, from eopayment's own
    ``description['parameters']`` (per-payment ones and deprecated ones left out)."""
    parameters = []
    for raw in eopayment.get_backend(provider).description["parameters"]:
        name = raw["name"]
        if (
            name in PER_PAYMENT_PARAMETERS
            or raw.get("deprecated")
            or raw.get("scope") == "transaction"
            or raw.get("type") is bool
        ):
            continue
        choices = tuple(
            (str(choice[0]), str(choice[1]))
            if isinstance(choice, list | tuple)
            else (choice, choice)
            for choice in (raw.get("choices") or ())
        )
        default = raw.get("default")
        parameters.append(
            ProviderParameter(
                name=name,
                caption=str(raw.get("caption") or name),
                help_text=str(raw.get("help_text") or ""),
                required=bool(raw.get("required")),
                is_secret=name in SECRET_PARAMETERS,
                choices=choices,
                default="" if default is None or callable(default) else str(default),
                validation=raw.get("validation"),
            )
        )
    return parameters


def check_provider_settings(provider: str, options: dict, secrets: dict) -> dict[str, str]:
    """Errors by setting name (empty when the settings are usable)."""
    from django.utils.translation import gettext

    errors = {}
    for parameter in provider_parameters(provider):
        value = (secrets if parameter.is_secret else options).get(parameter.name, "")
        message = parameter.error(value)
        if message:
            errors[parameter.name] = message
    if (
        provider in ("systempayv2", "payzen")
        and options.get("vads_ctx_mode") == "PRODUCTION"
        and not secrets.get("secret_production")
    ):
        errors["secret_production"] = gettext("The production mode needs the production secret.")
    return errors


def provider_mode(provider: str, options: dict) -> str:
    """« T » while the service runs in test, « W » in production (as PayFiP's modes)."""
    if provider == "paybox":
        return "W" if options.get("platform") in ("prod", "backup") else "T"
    return "W" if options.get("vads_ctx_mode") == "PRODUCTION" else "T"


def supports_connection_test(provider: str) -> bool:
    """Only PayFiP has an operation to ask about a client without paying."""
    return provider == PAYFIP


def _form_backend(regie, *, return_url: str = "", notification_url: str = ""):
    options = {
        **regie.online_provider_options,
        **regie.online_provider_secret_values,
        "normal_return_url": return_url,
        "automatic_return_url": notification_url,
    }
    return eopayment.Payment(regie.online_provider, options)


def create_form_payment(
    *,
    regie,
    amount: Decimal,
    email: str,
    transaction_id: str,
    order_id: str,
    return_url: str,
    notification_url: str,
) -> Created:
    """The signed form that sends the family to the régie's service; ``transaction_id``
    comes back, signed, with the result."""
    try:
        to_cents(amount)
        backend = _form_backend(regie, return_url=return_url, notification_url=notification_url)
        extra = {"orderid": order_id[:32]} if regie.online_provider == "systempayv2" else {}
        given_id, _kind, form = backend.request(
            Decimal(amount).quantize(Decimal("0.01")),
            email=email,
            transaction_id=transaction_id,
            **extra,
        )
    except Exception as error:  # a setting eopayment refuses, or an amount it cannot send
        raise _unavailable(error) from error
    fields = [(str(item["name"]), str(item["value"])) for item in form.fields]
    return Created(idop=given_id, payment_url=form.url, form=PaymentForm(form.url, fields))


def read_form_response(*, regie, provider: str, transaction_id: str, query_string: str) -> Result:
    """The result a redirect-form service sent back (notification or the family's return),
    verified by eopayment's signature check. Raises ForgedResponse when the signature does
    not verify, or when the response is about another payment or from the other mode."""
    options = {**regie.online_provider_options, **regie.online_provider_secret_values}
    try:
        response = eopayment.Payment(provider, options).response(query_string)
    except Exception as error:  # missing fields, bad encoding, a mode without its secret
        raise ForgedResponse(f"unreadable response: {error}") from error
    if not response.signed:
        raise ForgedResponse("signature does not verify")
    if str(response.order_id or "") != transaction_id:
        raise ForgedResponse(f"response about {str(response.order_id)[:64]!r}")
    if provider != "paybox" and response.test != (provider_mode(provider, options) == "T"):
        raise ForgedResponse("test response for a production payment, or the reverse")
    bank_data = {
        str(key): (value[0] if isinstance(value, list) and value else value)
        for key, value in (response.bank_data or {}).items()
        if key not in ("signature", "__bank_id")
    }
    bank_data = {key: (None if value is None else str(value)) for key, value in bank_data.items()}
    cents = bank_data.get("vads_amount") if provider != "paybox" else bank_data.get("montant")
    authorisation = bank_data.get("vads_auth_number") or bank_data.get("code_autorisation") or ""
    return Result(
        status=_RESULTS.get(response.result, OnlinePayment.Status.ERROR),
        bank_status=str(response.bank_status or "")[:200],
        bank_data=bank_data,
        taken_amount=_from_cents(cents),
        taken_authorisation=str(authorisation)[:100],
        taken_at=response.transaction_date,
    )
