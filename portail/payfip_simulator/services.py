"""What the simulated PayFiP does: create idops, answer lookups, record the family's choice,
notify the portal. The only code of the simulator that writes.

Fault codes. Verified against the real service through eopayment's recorded tests: P1 (unknown
or purged idop), P5 (result not known yet), R3 (refdet format), A2 (e-mail). Chosen from a
third-party list and NOT verified (DOMAIN.md §1.5): T1/T2 (numcli format/unknown), S1 (saisie),
M1/M3/M5 (amount format/minimum/maximum), A1 (no e-mail), N1/D1 (notification/redirect URL),
P3/P4 (payment page: idop already used / older than 15 minutes)."""

import re
import secrets
import time
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.db import connection, transaction

from . import clock
from .models import SimulatedPayment, SimulatorState

PARIS = ZoneInfo("Europe/Paris")
# An idop opens the payment page for 15 minutes; unfinished ones go at the nightly purge.
IDOP_LIFETIME = timedelta(minutes=15)
NIGHTLY_PURGE_HOUR = 2
NOTIFICATION_TIMEOUT_SECONDS = 5
# Any 6-digit client number is a known régie, except this one (to test an unknown client).
UNKNOWN_CLIENT = "000000"
MINIMAL_CENTS = 100
MAXIMAL_CENTS = 10_000_000

REFDET_RE = re.compile(r"^[A-Za-z0-9]{6,30}$")
FUNCTIONAL = "FonctionnelleErreur"
UNAVAILABLE = "TechIndisponibiliteErreur"


class Fault(Exception):
    """A PayFiP SOAP fault: ``kind`` is the WSDL fault element, ``code`` PayFiP's code."""

    def __init__(self, code: str, descriptif: str, kind: str = FUNCTIONAL):
        self.code = code
        self.descriptif = descriptif
        self.kind = kind
        super().__init__(f"{code}: {descriptif}")


def unknown_idop() -> Fault:
    return Fault("P1", "IdOp incorrect")


def get_state() -> SimulatorState:
    state, _ = SimulatorState.objects.get_or_create(pk=1)
    return state


def update_state(**fields) -> SimulatorState:
    """Set switches (``drop_notifications``, ``creation_failure``, ``hang_seconds``,
    ``notification_field``, ``clock_offset_seconds``)."""
    state = get_state()
    for name, value in fields.items():
        setattr(state, name, value)
    state.full_clean()
    state.save()
    return state


def move_clock(*, minutes: float) -> datetime:
    """Move the simulator clock forward (or back) by ``minutes``; returns the new time."""
    with transaction.atomic():
        state = get_state()
        SimulatorState.objects.filter(pk=state.pk).update(
            clock_offset_seconds=state.clock_offset_seconds + round(minutes * 60)
        )
    return clock.now()


def set_clock(*, at: datetime) -> datetime:
    """Make the simulator clock read ``at`` now (and run on from there)."""
    from django.utils import timezone

    update_state(clock_offset_seconds=round((at - timezone.now()).total_seconds()))
    return clock.now()


def reset_clock() -> datetime:
    update_state(clock_offset_seconds=0)
    return clock.now()


def notifications_are_dropped() -> bool:
    return settings.PAYFIP_SIMULATOR_DROP_NOTIFICATIONS or get_state().drop_notifications


def client_detail(numcli: str) -> dict:
    """``recupererDetailClient``: the labels of the régie."""
    _check_client(numcli or "")
    return {
        "libelleN1": "COLLECTIVITE SIMULEE",
        "libelleN2": "REGIE DES CRECHES",
        "libelleN3": f"SIMULATEUR PAYFIP {numcli}",
        "numcli": numcli,
    }


def _check_client(numcli: str) -> None:
    if not (numcli.isascii() and numcli.isdigit() and len(numcli) == 6):
        raise Fault("T1", "Le numéro de client n'est pas conforme")
    if numcli == UNKNOWN_CLIENT:
        raise Fault("T2", "Le numéro de client doit être pré-existant dans la base PayFiP")


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def validate_creation(fields: dict) -> None:
    """Raise the Fault PayFiP gives for the first bad field of a creation request."""
    _check_client(fields.get("numcli") or "")
    if fields.get("saisie") not in {"T", "X", "W"}:
        raise Fault("S1", "Le mode de saisie n'est pas conforme")
    if not REFDET_RE.match(fields.get("refdet") or ""):
        raise Fault("R3", "Le format du paramètre REFDET n'est pas conforme")
    montant = fields.get("montant") or ""
    if not (montant.isascii() and montant.isdigit() and len(montant) <= 12):
        raise Fault("M1", "Le format du montant n'est pas conforme")
    if int(montant) < MINIMAL_CENTS:
        raise Fault("M3", "Le montant doit être d'au moins 1 euro")
    if int(montant) > MAXIMAL_CENTS:
        raise Fault("M5", "Le montant dépasse le maximum autorisé")
    mel = fields.get("mel") or ""
    if not mel:
        raise Fault("A1", "L'adresse mel n'est pas renseignée")
    if "@" not in mel or not 6 <= len(mel) <= 80 or any(c.isspace() for c in mel):
        raise Fault("A2", "Adresse mel incorrecte")
    if not _is_url(fields.get("urlnotif") or ""):
        raise Fault("N1", "L'URL de notification n'est pas conforme")
    if not _is_url(fields.get("urlredirect") or ""):
        raise Fault("D1", "L'URL de redirection n'est pas conforme")


def create_payment(**fields) -> SimulatedPayment:
    """``creerPaiementSecurise``: validate like PayFiP and give a new idop.

    ``fields``: numcli, exer, refdet, montant, mel, objet, saisie, urlnotif, urlredirect
    (strings, possibly missing). The ``creation_failure`` switch makes it fail instead."""
    state = get_state()
    if state.creation_failure == SimulatorState.CreationFailure.HANG:
        # Let go of the database before sleeping: a test may end while this thread waits.
        connection.close()
        time.sleep(state.hang_seconds)
        raise Fault("T0", "Service indisponible", kind=UNAVAILABLE)
    if state.creation_failure == SimulatorState.CreationFailure.FAULT:
        raise Fault("T0", "Service momentanément indisponible", kind=UNAVAILABLE)
    validate_creation(fields)
    return SimulatedPayment.objects.create(
        idop=str(uuid.uuid4()),
        numcli=fields["numcli"],
        exer=(fields.get("exer") or "")[:4],
        refdet=fields["refdet"],
        montant=fields["montant"],
        mel=fields["mel"],
        objet=(fields.get("objet") or "")[:100],
        saisie=fields["saisie"],
        urlnotif=fields["urlnotif"],
        urlredirect=fields["urlredirect"],
        created_at=clock.now(),
    )


def expires_at(payment: SimulatedPayment) -> datetime:
    return payment.created_at + IDOP_LIFETIME


def purged_after(payment: SimulatedPayment) -> datetime:
    """The nightly purge (02:00, Paris) that follows the idop's expiry forgets it if unfinished."""
    expiry = expires_at(payment).astimezone(PARIS)
    purge = expiry.replace(hour=NIGHTLY_PURGE_HOUR, minute=0, second=0, microsecond=0)
    if purge <= expiry:
        purge = (purge + timedelta(days=1)).replace(hour=NIGHTLY_PURGE_HOUR)
    return purge


def is_purged(payment: SimulatedPayment, now: datetime) -> bool:
    if payment.result:
        return False
    return payment.purged_at is not None or now >= purged_after(payment)


def purge_unfinished() -> int:
    """What PayFiP's nightly job does: forget every expired idop that has no result."""
    now = clock.now()
    return SimulatedPayment.objects.filter(
        result="", purged_at=None, created_at__lte=now - IDOP_LIFETIME
    ).update(purged_at=now)


def payment_detail(idop: str) -> SimulatedPayment:
    """``recupererDetailPaiementSecurise``: the payment with its result, or P1/P5."""
    payment = SimulatedPayment.objects.filter(idop=idop or "").first()
    if payment is None or is_purged(payment, clock.now()):
        raise unknown_idop()
    if not payment.result:
        raise Fault("P5", "Résultat de la transaction non connu")
    return payment


def open_payment(idop: str) -> SimulatedPayment:
    """The payment page of an idop, or the Fault PayFiP's page shows instead."""
    payment = SimulatedPayment.objects.filter(idop=idop or "").first()
    now = clock.now()
    if payment is None or is_purged(payment, now):
        raise unknown_idop()
    if payment.result:
        raise Fault("P3", "L'idOp a déjà été utilisé")
    if now >= expires_at(payment):
        raise Fault("P4", "L'idOp a été enregistré depuis plus de 15 minutes")
    return payment


def record_result(*, idop: str, result: str) -> SimulatedPayment:
    """The family chose on the payment page: keep the result with PayFiP's transaction data.
    Once only: a second click (or a late one) raises the page's Fault."""
    if result not in SimulatedPayment.Result.values:
        raise ValueError(f"unknown result {result!r}")
    with transaction.atomic():
        open_payment(idop)
        payment = SimulatedPayment.objects.select_for_update().get(idop=idop)
        if payment.result:
            raise Fault("P3", "L'idOp a déjà été utilisé")
        at = clock.now().astimezone(PARIS)
        payment.result = result
        payment.dattrans = at.strftime("%d%m%Y")
        payment.heurtrans = at.strftime("%H%M")
        if result in {
            SimulatedPayment.Result.PAID_BY_CARD,
            SimulatedPayment.Result.PAID_BY_DIRECT_DEBIT,
        }:
            payment.numauto = f"{secrets.randbelow(10**12):012d}-tip"
        payment.save(update_fields=["result", "dattrans", "heurtrans", "numauto"])
    return payment


def notify(payment: SimulatedPayment) -> str:
    """POST ``idOp=<idop>`` (or ``idop=``, a switch) form-encoded to ``urlnotif``, server to
    server, unless notifications are dropped. Returns and keeps the outcome."""
    if notifications_are_dropped():
        outcome = "dropped"
    else:
        field = get_state().notification_field
        try:
            response = requests.post(
                payment.urlnotif,
                data={field: payment.idop},
                timeout=NOTIFICATION_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
            outcome = f"HTTP {response.status_code}"
        except requests.RequestException as error:
            outcome = f"{type(error).__name__}"
    SimulatedPayment.objects.filter(pk=payment.pk).update(
        notified_at=clock.now(), notification_outcome=outcome[:200]
    )
    payment.notification_outcome = outcome
    return outcome


def return_url(payment: SimulatedPayment) -> str:
    """``urlredirect`` with ``idop=<idop>`` added, as PayFiP sends the browser back."""
    separator = "&" if urlsplit(payment.urlredirect).query else "?"
    return f"{payment.urlredirect}{separator}{urlencode({'idop': payment.idop})}"
