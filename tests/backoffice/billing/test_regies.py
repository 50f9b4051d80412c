"""Régies and invoice kinds: set up by administrators only."""

from django.urls import reverse

from portail.billing.models import Regie

from ..conftest import messages_of


def test_an_administrator_creates_a_regie_with_its_two_usual_kinds(admin_client):
    response = admin_client.post(
        reverse("admin:billing_regie_add"),
        {
            "name": "Régie Enfance",
            "address": "1 place de la Mairie",
            "invoice_number_format": "F{year}-{number:05d}",
            "credit_note_number_format": "AV{year}-{number:05d}",
            "receipt_number_format": "R{year}-{number:05d}",
            "payment_delay_days": "28",
            "payfip_mode": "T",
            "accepts_cheque": "on",
            "accepts_cash": "on",
        },
        follow=True,
    )

    regie = Regie.objects.get(name="Régie Enfance")
    assert regie.payment_delay_days == 28
    assert list(regie.kinds.values_list("label", flat=True)) == [
        "FACTURE JEUNESSE",
        "FACTURE PÉRISCOLAIRE",
    ]
    assert (
        "La régie a ses deux types de facture habituels : « FACTURE JEUNESSE », "
        "« FACTURE PÉRISCOLAIRE »." in messages_of(response)
    )


def test_nursery_staff_cannot_see_or_change_regies_and_kinds(staff_client, regie):
    urls = [
        reverse("admin:billing_regie_changelist"),
        reverse("admin:billing_regie_add"),
        reverse("admin:billing_regie_change", args=[regie.pk]),
        reverse("admin:billing_invoicekind_changelist"),
    ]

    statuses = {url: staff_client.get(url).status_code for url in urls}
    staff_client.post(reverse("admin:billing_regie_change", args=[regie.pk]), {"name": "Piratée"})

    assert set(statuses.values()) <= {302, 403}, statuses
    regie.refresh_from_db()
    assert regie.name == "Régie Petite Enfance"


def test_the_back_office_home_links_to_the_tools(admin_client):
    response = admin_client.get(reverse("admin:index"))
    html = response.content.decode()
    assert "Outils" in html
    tools = ["backoffice:invoice-import", "backoffice:accounting-export", "backoffice:job-list"]
    for name in tools:
        assert f'href="{reverse(name)}"' in html
