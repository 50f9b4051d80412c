"""A PayFiP that answers like the real one, for the portal's tests.

The adapter (portail/payments/payfip.py) is used as it is, with eopayment's own rules; only
its SOAP client is replaced, at the adapter's border, by ``FakePayFiPService``, which answers
the three operations with the responses recorded from PayFiP (tests/payments/recorded/,
from eopayment's recorded exchanges), echoing the request's fields as PayFiP does, and
raises the same faults (P1, P5, R3, A2) and transport errors."""

import datetime
import json
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from eopayment.payfip_ws import PayFiPError

from portail.billing.services import create_regie
from portail.payments import payfip
from tests.factories import InvoiceFactory
from tests.portal.conftest import family, family_client, organisation  # noqa: F401

RECORDED = Path(__file__).parent / "recorded"
PARIS = ZoneInfo("Europe/Paris")


def recorded(name: str) -> dict:
    return json.loads((RECORDED / f"{name}.json").read_text())


class Record(dict):
    """What zeep gives back: fields readable as keys and as attributes."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as error:
            raise AttributeError(name) from error


class FakePayFiPService:
    """PayFiP's three SOAP operations. ``pay(idop, "P"|"V"|"R"|"Z"|"A")`` is what the family
    does on PayFiP's page; until then the result is P5; ``forget(idop)`` is the nightly purge
    (P1). ``fail_next_creation``/``fail_lookups`` make PayFiP answer with a fault or not at all."""

    def __init__(self):
        self.created = {}
        self.results = {}
        self.lookups = []
        self.fail_next_creation = None
        self.fail_lookups = None
        self.override = {}

    # --- SOAP operations (eopayment.payfip_ws.PayFiP's interface) ---
    def get_idop(self, *, numcli, saisie, exer, refdet, montant, mel, url_notification,
                 url_redirect, objet=None, timeout=None):  # fmt: skip
        if self.fail_next_creation is not None:
            error, self.fail_next_creation = self.fail_next_creation, None
            raise error
        if not refdet.isalnum() or not 6 <= len(refdet) <= 30:
            raise PayFiPError("R3", "Le format du paramètre REFDET n'est pas conforme")
        idop = str(uuid.uuid4())
        self.created[idop] = {
            "numcli": numcli, "saisie": saisie, "exer": exer, "refdet": refdet,
            "montant": montant, "mel": mel, "objet": objet, "urlnotif": url_notification,
            "urlredirect": url_redirect,
        }  # fmt: skip
        return idop

    def get_info_paiement(self, idop, timeout=None):
        self.lookups.append(idop)
        if self.fail_lookups is not None:
            raise self.fail_lookups
        if idop not in self.created:
            raise PayFiPError("P1", "IdOp incorrect")
        if idop not in self.results:
            raise PayFiPError("P5", "Résultat de la transaction non connu")
        return Record(self.results[idop])

    def get_info_client(self, numcli, timeout=None):
        if numcli != "123456":
            raise PayFiPError("A1", "Client inconnu")
        return Record({**recorded("recupererDetailClient"), "numcli": numcli})

    # --- what happens on PayFiP's side ---
    def pay(self, idop, resultrans="P", *, at=None):
        request = self.created[idop]
        at = (at or datetime.datetime.now(PARIS)).astimezone(PARIS)
        response = {
            **recorded("recupererDetailPaiementSecurise_P"),
            **{key: request[key] for key in ("exer", "mel", "montant", "numcli", "refdet")},
            "objet": request["objet"],
            "saisie": request["saisie"],
            "idOp": idop,
            "resultrans": resultrans,
            "dattrans": at.strftime("%d%m%Y"),
            "heurtrans": at.strftime("%H%M"),
            "numauto": f"{len(self.results) + 1:012d}-tip" if resultrans in "PV" else None,
        }
        response.update(self.override)
        self.results[idop] = response

    def forget(self, idop):
        self.created.pop(idop, None)
        self.results.pop(idop, None)

    @property
    def last_idop(self):
        return list(self.created)[-1]


@pytest.fixture
def payfip_service(monkeypatch):
    service = FakePayFiPService()
    monkeypatch.setattr(payfip, "_soap", lambda: service)
    return service


@pytest.fixture
def payfip_regie():
    return create_regie(
        name="Régie Petite Enfance",
        email="regie@bourg.example.fr",
        accepts_card_online=True,
        payfip_client_number="123456",
        payfip_mode="T",
    )


@pytest.fixture
def invoice(family, payfip_regie):  # noqa: F811
    """Invoice F2022-00042 of 29,00 € to pay by Mme Durand."""
    return InvoiceFactory(
        regie=payfip_regie,
        kind=payfip_regie.kinds.get(label="FACTURE JEUNESSE"),
        household=family.household,
        payer=family.guardian,
        number="F2022-00042",
    )
