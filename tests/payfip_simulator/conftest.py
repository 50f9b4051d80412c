"""The real eopayment client (zeep over HTTP) pointed at the simulator served by a live server,
and a small HTTP server that receives the simulator's notifications."""

import gc
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import eopayment
import pytest
from eopayment import payfip_ws

BINDING = (
    "{http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService}PaiementSecuriseServicePortBinding"
)
NUMCLI = "123456"
RETURN_URL = "https://portail.example/paiement/retour/7f3e/"


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        self.server.received.append(
            {
                "path": self.path,
                "content_type": self.headers["Content-Type"],
                "body": body,
                "fields": parse_qs(body),
            }
        )
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args):
        pass


@pytest.fixture
def notification_receiver():
    """``.url`` to give as ``urlnotif``; ``.received`` lists the POSTs it got."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}/notification/7f3e/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def simulator_url(live_server):
    return f"{live_server.url}/payfip-simulateur"


@pytest.fixture
def eopayment_client(simulator_url, notification_receiver):
    """``eopayment.Payment('payfip_ws', …)`` talking to the simulator: zeep reads the WSDL the
    simulator serves (its soap:address points at the simulator)."""

    clients = []

    def make(numcli=NUMCLI, saisie="T"):
        payment = eopayment.Payment(
            "payfip_ws",
            {
                "numcli": numcli,
                "saisie": saisie,
                "normal_return_url": RETURN_URL,
                "automatic_return_url": notification_receiver.url,
            },
        )
        payfip = payfip_ws.PayFiP(wsdl_url=f"{simulator_url}/ws.wsdl", use_local_wsdl=False)
        payment.backend.payfip = payfip
        clients.append(payment.backend.payfip)
        return payment

    yield make
    _close(*clients)


def _close(*payfips):
    """Close zeep's keep-alive connections and wait for the live server's threads that served
    them: one still running after the server stopped sharing the in-memory SQLite connection
    (at the session's end) would fail on it."""
    for payfip in payfips:
        if hasattr(payfip, "_client"):
            payfip._client.transport.session.close()
    # A fault's response stays referenced by the exception's traceback, its socket unpooled.
    gc.collect()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(
        "process_request_thread" in thread.name for thread in threading.enumerate()
    ):
        time.sleep(0.01)


@pytest.fixture
def bundled_wsdl_client(simulator_url):
    """The other way: eopayment's bundled WSDL, its binding pointed at the simulator's SOAP
    address (what portail/payments/payfip.py does with PAYFIP_ENDPOINT_URL)."""
    payfip = payfip_ws.PayFiP()
    client = payfip.client
    client._default_service = client.create_service(
        BINDING, f"{simulator_url}/tpa/services/securite"
    )
    yield payfip
    _close(payfip)
