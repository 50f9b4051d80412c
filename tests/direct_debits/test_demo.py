"""The demo seeds direct debit: creditor settings with a valid test ICS, another household
with an active mandate and a settled debit; camille.martin has none and can sign one."""

from django.core.management import call_command

from portail.direct_debits.identifiers import check_ics
from portail.direct_debits.models import CreditorSettings, Debit, Mandate


def test_demo_seeds_direct_debit_once():
    call_command("seed_demo", "--quiet")
    call_command("seed_demo", "--quiet")
    creditor = CreditorSettings.objects.get()
    assert check_ics(creditor.ics) == "FR72ZZZ123456"
    mandate = Mandate.objects.get()
    assert mandate.status == Mandate.Status.ACTIVE
    assert mandate.payer.user is None or mandate.payer.user.username != "camille.martin"
    debit = Debit.objects.get()
    assert debit.status == Debit.Status.SETTLED and debit.payment is not None


def test_the_demo_family_can_set_up_direct_debit_online(client):
    import re

    from django.urls import reverse

    from portail.accounts.models import User
    from portail.notifications.models import OutgoingEmail

    call_command("seed_demo", "--quiet")
    client.force_login(User.objects.get(username="camille.martin"))
    assert client.get(reverse("portal:direct-debits")).status_code == 200
    response = client.post(
        reverse("portal:direct-debit-request"),
        {
            "holder_name": "Camille Martin",
            "holder_address": "3 rue des Lilas\n74990 Val-des-Tilleuls",
            "iban": "FR76 3000 1007 9412 3456 7890 185",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    email = OutgoingEmail.objects.filter(kind="direct_debit_code").latest("pk")
    code = re.search(r"\b(\d{6})\b", email.body_text).group(1)
    client.post(response["Location"], {"consent": "on", "code": code})
    mandate = Mandate.objects.get(payer__user__username="camille.martin")
    assert mandate.status == Mandate.Status.ACTIVE and mandate.rum.startswith("TILLEULS-")
