"""Which address is the person's: what throttling counts and the CGU proof records."""

import pytest
from django.test import RequestFactory

from portail.accounts.backends import client_ip_address
from portail.accounts.models import TermsAcceptance
from tests.factories import make_family_guardian


def address(**meta):
    return client_ip_address(RequestFactory().get("/", **meta))


def test_without_a_proxy_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert address(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="10.0.0.1") == "198.51.100.7"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "1.2.3.4, 203.0.113.5", "203.0.113.5"),  # the client wrote 1.2.3.4
        (2, "1.2.3.4, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (1, "", "10.0.0.1"),
        (2, "203.0.113.5", "10.0.0.1"),  # fewer entries than proxies: misconfigured
        (1, "1.2.3.4, pas-une-adresse", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_proxies_the_address_is_the_one_the_nearest_trusted_proxy_saw(
    settings, count, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = count

    assert address(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded) == expected


def test_cgu_acceptance_records_the_persons_address_behind_the_proxy(client, settings, terms):
    settings.TRUSTED_PROXY_COUNT = 1
    guardian = make_family_guardian()
    client.force_login(guardian.user)

    client.post("/cgu/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")

    assert TermsAcceptance.objects.get().ip_address == "203.0.113.5"
