"""The users of bench/scenario.py (SECURITY.md REL-04), for Locust.

Parents walk the journey of the guide once each (or, with $JOURNEYS_PER_PARENT = 0, again and
again: the stress variant), arriving at a random moment of the $ARRIVAL_SECONDS that follow the
first $ARRIVE_AFTER_SECONDS of the run (the warm-up), with a think time between pages: the
login page, the login (their real password, Argon2 and all), MON TABLEAU DE BORD, MES FACTURES,
their unpaid invoice, its PDF, the confirmation step of « PAYER MA FACTURE EN LIGNE », the
start of the card payment (the portal asks PayFiP — the simulator — for an idOp and sends the
family there; a parent who already has a payment running is sent to « Paiement en cours »
instead), and the logout. Staff agents browse the back office: the household search, the lists,
the requests queue, a household's and an invoice's page.

bench/scenario.py writes what the users need into the JSON file named by $SCENARIO_USERS:
``parents`` (username, password, invoice reference), ``staff`` (session keys of
TOTP-verified sessions) and ``staff_paths``. Each parent is a distinct family, and comes
from its own address (X-Forwarded-For behind one trusted proxy, as in production), so the
per-address login limits see 200 households, not one machine."""

import json
import os
import random
import re
import time
from itertools import count

import gevent
from locust import HttpUser, SequentialTaskSet, between, task
from locust.exception import StopUser

DATA = json.loads(open(os.environ["SCENARIO_USERS"], encoding="utf-8").read())  # noqa: SIM115
THINK = between(float(os.environ.get("THINK_MIN", "5")), float(os.environ.get("THINK_MAX", "15")))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
JOURNEYS = int(os.environ.get("JOURNEYS_PER_PARENT", "1"))  # 0: no end
ARRIVAL_SECONDS = float(os.environ.get("ARRIVAL_SECONDS", "0"))
ARRIVE_AFTER_SECONDS = float(os.environ.get("ARRIVE_AFTER_SECONDS", "0"))
STARTED = time.monotonic()  # Locust reads this file as the run starts
_parents = count()
_staff = count()


def expect(response, *statuses, location=None):
    """Mark the response failed unless its status is one of ``statuses`` (and, for a
    redirect, its Location contains one of ``location``)."""
    if response.status_code not in statuses:
        response.failure(f"HTTP {response.status_code}")
    elif location and not any(part in response.headers.get("Location", "") for part in location):
        response.failure(f"redirected to {response.headers.get('Location')}")
    else:
        response.success()


class ParentJourney(SequentialTaskSet):
    def on_start(self):
        number = next(_parents)
        self.family = DATA["parents"][number % len(DATA["parents"])]
        self.client.headers["X-Forwarded-For"] = f"10.{number // 250 % 250}.{number % 250}.7"
        self.csrf = ""
        self.journeys = 0
        # Every user is started during the warm-up; each parent arrives at its own moment,
        # counted from the start of the run: ARRIVE_AFTER_SECONDS + up to ARRIVAL_SECONDS.
        arrival = STARTED + ARRIVE_AFTER_SECONDS + random.uniform(0, ARRIVAL_SECONDS)
        gevent.sleep(max(0.0, arrival - time.monotonic()))

    def page(self, path, name, **kwargs):
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            expect(response, 200)
            found = CSRF.search(response.text)
            if found:
                self.csrf = found.group(1)
            return response

    def form(self, path, name, *, referer, location=None, **fields):
        """POST a form with the page's CSRF token; a redirection is expected (to ``location``)."""
        with self.client.post(
            path,
            name=name,
            data={"csrfmiddlewaretoken": self.csrf, **fields},
            headers={"Referer": self.client.base_url + referer},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            expect(response, 302, location=location)

    @task
    def login_page(self):
        self.page("/connexion/", "connexion (page)")

    @task
    def log_in(self):
        self.form(
            "/connexion/",
            "connexion (POST)",
            referer="/connexion/",
            location=["/tableau-de-bord/"],
            username=self.family["username"],
            password=self.family["password"],
        )

    @task
    def dashboard(self):
        self.page("/tableau-de-bord/", "MON TABLEAU DE BORD")

    @task
    def invoices(self):
        self.page("/mes-factures/", "MES FACTURES")

    @task
    def invoice(self):
        self.page(f"/mes-factures/{self.family['invoice']}/", "une facture")

    @task
    def pdf(self):
        with self.client.get(
            f"/mes-factures/{self.family['invoice']}/pdf/",
            name="PDF de la facture",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            expect(response, 200)
            if response.status_code == 200 and not response.content.startswith(b"%PDF"):
                response.failure("not a PDF")

    @task
    def confirm_payment(self):
        self.page(f"/mes-factures/{self.family['invoice']}/payer/", "payer : confirmation")

    @task
    def start_payment(self):
        self.form(
            f"/mes-factures/{self.family['invoice']}/payer/",
            "payer : départ vers PayFiP",
            referer="/mes-factures/",
            location=["/payfip-simulateur/tpa/", "/paiement/"],
        )

    @task
    def log_out(self):
        self.form("/deconnexion/", "déconnexion", referer="/tableau-de-bord/")
        self.client.cookies.clear()
        self.journeys += 1
        if JOURNEYS and self.journeys >= JOURNEYS:
            raise StopUser()


class Parent(HttpUser):
    fixed_count = int(os.environ.get("SCENARIO_PARENTS", "200"))
    wait_time = THINK
    tasks = [ParentJourney]


class StaffAgent(HttpUser):
    fixed_count = int(os.environ.get("SCENARIO_STAFF", "20"))
    wait_time = THINK

    def on_start(self):
        self.client.cookies.set("sessionid", DATA["staff"][next(_staff) % len(DATA["staff"])])
        self.client.headers["X-Forwarded-For"] = "192.168.10.20"

    @task
    def browse(self):
        name, path = random.choice(DATA["staff_paths"])
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            expect(response, 200)
