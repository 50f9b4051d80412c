"""« Signaler une erreur sur une facture »: a family disputes one of its issued invoices (and
lines of it) from the invoice's page; the request reaches its nursery like the others, staff
see the invoice next to it and answer; an administrator corrects the invoice with a credit
note. Only the family's own issued invoices, and only their own lines, can be disputed."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portail.billing.models import Invoice
from portail.billing.services import cancel_invoice
from portail.households import services
from portail.households.models import HouseholdChange, Request, RequestKind, RequestStatus
from portail.notifications.models import Notification, OutgoingEmail
from tests.backoffice.conftest import log_in_with_second_factor, messages_of, text_of
from tests.factories import GuardianFactory, StaffUserFactory, UserFactory
from tests.portal.billing.conftest import draft_invoice, hours, issue_invoice, regie  # noqa: F401

FORM = reverse("portal:request-create", kwargs={"kind": "facture"})


def page(invoice) -> str:
    return reverse("portal:invoice-detail", kwargs={"reference": invoice.reference})


def form_url(invoice) -> str:
    return f"{FORM}?facture={invoice.reference}"


def staff_page(request) -> str:
    return reverse("backoffice:request-detail", kwargs={"reference": request.reference})


@pytest.fixture
def invoice(regie, family):  # noqa: F811
    return issue_invoice(
        regie,
        family.household,
        family.guardian,
        number="F2022-00007",
        lines=[
            hours(family.child, "40", label="Heures d'accueil"),
            hours(family.child, "20", unit_price="1.00", label="Repas"),
        ],
    )


@pytest.fixture
def theirs(regie, other_family):  # noqa: F811
    """Another household's issued invoice."""
    return issue_invoice(
        regie,
        other_family.household,
        other_family.guardian,
        number="F2022-00099",
        lines=[hours(other_family.child, "1")],
    )


def line(invoice, label):
    return invoice.lines.get(label=label)


def dispute(family, invoice, *, lines=(), message="Léa était absente la semaine du 14."):
    return services.submit_request(
        household=family.household,
        kind=RequestKind.INVOICE,
        submitted_by=family.user,
        invoice=invoice,
        payload={
            "message": message,
            "lines": [
                {"label": one.label, "child_name": one.child_name, "amount": str(one.amount)}
                for one in lines
            ],
        },
    )


def assert_lines_refused(response):
    """The form comes back with the French message on the ticked lines, the group of boxes
    described by it (as a single field is), and nothing is sent."""
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "lines": ["Cochez uniquement des lignes de cette facture."]
    }
    html = response.content.decode()
    assert 'aria-describedby="id_lines_error"' in html and 'id="id_lines_error"' in html
    assert not Request.objects.exists()


def test_a_family_disputes_a_line_of_its_invoice_and_follows_it(family_client, family, invoice):
    invoice_page = family_client.get(page(invoice))
    assert "Signaler une erreur sur cette facture" in text_of(invoice_page)
    assert form_url(invoice) in invoice_page.content.decode()

    blank = family_client.get(form_url(invoice))
    assert blank.status_code == 200
    shown = text_of(blank)
    assert "Au sujet de la facture F2022-00007 de février 2022 (120,00 €)." in shown
    assert "Heures d'accueil (Enfant0 Durand) — 100,00 €" in shown
    assert "Repas (Enfant0 Durand) — 20,00 €" in shown

    response = family_client.post(
        form_url(invoice),
        {
            "lines": [line(invoice, "Heures d'accueil").pk],
            "message": "Léa était absente la semaine du 14.",
        },
    )

    sent = Request.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "portal:request-detail", kwargs={"reference": sent.reference}
    )
    assert sent.kind == RequestKind.INVOICE
    assert sent.invoice == invoice
    assert sent.household == family.household
    assert sent.nursery == family.nursery
    assert sent.payload == {
        "lines": [
            {"amount": "100.00", "child_name": "Enfant0 Durand", "label": "Heures d'accueil"}
        ],
        "message": "Léa était absente la semaine du 14.",
    }
    assert OutgoingEmail.objects.get(kind="request_received").to == family.nursery.email

    detail = text_of(family_client.get(response["Location"]))
    assert "Réclamation sur une facture" in detail
    assert "Facture F2022-00007" in detail
    assert "Heures d'accueil (Enfant0 Durand) — 100,00 €" in detail
    assert "Léa était absente la semaine du 14." in detail

    invoice_page = text_of(family_client.get(page(invoice)))
    assert "Réclamation envoyée le " in invoice_page
    assert "Envoyée" in invoice_page
    listed = text_of(family_client.get(reverse("portal:request-list")))
    assert "Réclamation sur une facture" in listed


def test_the_message_is_required_and_the_lines_optional(family_client, invoice):
    refused = family_client.post(form_url(invoice), {"message": "  "})

    assert refused.status_code == 200
    assert refused.context["form"].errors == {
        "message": [
            "Dites ce qui vous semble erroné sur cette facture, pour qu'elle puisse être vérifiée."
        ]
    }
    assert not Request.objects.exists()

    family_client.post(form_url(invoice), {"message": "Je ne comprends pas le tarif."})
    sent = Request.objects.get()
    assert sent.payload == {"message": "Je ne comprends pas le tarif."}
    assert sent.disputed_lines == []


def test_a_line_of_another_invoice_is_refused(family_client, family, invoice, regie):  # noqa: F811
    other = issue_invoice(
        regie,
        family.household,
        family.guardian,
        number="F2022-00008",
        lines=[hours(family.child, "3", label="Heures de mars")],
    )

    response = family_client.post(
        form_url(invoice),
        {"lines": [line(other, "Heures de mars").pk], "message": "Erreur"},
    )

    assert_lines_refused(response)


def test_another_households_invoice_is_not_found(family_client, theirs):
    assert family_client.get(form_url(theirs)).status_code == 404
    posted = family_client.post(form_url(theirs), {"message": "Erreur"})
    assert posted.status_code == 404
    assert not Request.objects.exists()


def test_a_cancelled_or_draft_invoice_cannot_be_disputed(
    family_client,
    family,
    invoice,
    regie,  # noqa: F811
):
    draft = draft_invoice(
        regie, family.household, family.guardian, lines=[hours(family.child, "1")]
    )
    cancel_invoice(invoice=Invoice.objects.get(pk=invoice.pk), reason="Erreur de période")

    assert family_client.get(form_url(draft)).status_code == 404
    assert family_client.get(form_url(invoice)).status_code == 404
    assert family_client.post(form_url(invoice), {"message": "Erreur"}).status_code == 404
    cancelled_page = text_of(family_client.get(page(invoice)))
    assert "Signaler une erreur sur cette facture" not in cancelled_page
    assert "Cette facture est annulée : il n'y a rien à signaler." in cancelled_page
    assert not Request.objects.exists()


def test_without_a_link_the_family_chooses_among_its_own_issued_invoices(
    family_client, family, invoice, theirs
):
    blank = family_client.get(FORM)
    choices = [label for _, label in blank.context["form"].fields["invoice_choice"].choices]
    assert choices == ["---------", "Facture F2022-00007 de février 2022"]

    refused = family_client.post(FORM, {"invoice_choice": theirs.pk, "message": "Erreur"})
    assert refused.context["form"].errors == {"invoice_choice": ["Choisissez une de vos factures."]}
    missing = family_client.post(FORM, {"message": "Erreur"})
    assert missing.context["form"].errors == {
        "invoice_choice": ["Choisissez la facture concernée."]
    }

    family_client.post(FORM, {"invoice_choice": invoice.pk, "message": "Erreur"})
    assert Request.objects.get().invoice == invoice


def test_a_guardian_who_does_not_see_the_invoice_does_not_see_its_dispute(client, family, invoice):
    """A household that does not share its invoices (separated parents) does not share their
    disputes either: only the payer sees the invoice, so only the payer sees the question."""
    family.household.share_invoices_with_all_guardians = False
    family.household.save()
    other_user = UserFactory(first_name="Paul")
    GuardianFactory(household=family.household, user=other_user, first_name="Paul")
    sent = dispute(family, invoice, lines=[line(invoice, "Repas")])
    message = services.submit_request(
        household=family.household,
        kind=RequestKind.MESSAGE,
        submitted_by=family.user,
        payload={"subject": "Sortie", "message": "Au parc"},
    )

    assert list(Request.objects.for_user(family.user)) == [message, sent]
    assert list(Request.objects.for_user(other_user)) == [message]
    client.force_login(other_user)
    detail = reverse("portal:request-detail", kwargs={"reference": sent.reference})
    assert client.get(detail).status_code == 404

    # Nor is Paul told when the nursery answers the question: only the payer is.
    staff = StaffUserFactory(is_superuser=True)
    services.refuse_request(request=sent, staff=staff, comment="Les heures sont justes.")
    services.refuse_request(request=message, staff=staff, comment="Pas de sortie prévue.")
    told = {
        user: sorted(Notification.objects.filter(recipient=user).values_list("label", flat=True))
        for user in (family.user, other_user)
    }
    assert told == {
        family.user: ["Message à la structure d'accueil", "Réclamation sur une facture"],
        other_user: ["Message à la structure d'accueil"],
    }


def test_staff_see_the_invoice_and_the_disputed_lines(staff_client, family, invoice):
    sent = dispute(family, invoice, lines=[line(invoice, "Repas")])

    queue = text_of(staff_client.get(reverse("backoffice:request-queue")))
    assert "Réclamation sur une facture" in queue
    assert "Famille Durand" in queue
    response = staff_client.get(staff_page(sent))
    shown = text_of(response)
    assert "Facture concernée" in shown
    assert "Numéro F2022-00007" in shown
    assert "Total 120,00 €" in shown
    assert "Reste à payer 120,00 €" in shown
    assert "Lignes concernées Repas (Enfant0 Durand) — 20,00 €" in shown
    assert "Léa était absente la semaine du 14." in shown
    assert reverse("admin:billing_invoice_change", args=[invoice.pk]) in response.content.decode()
    # Crediting an invoice is for administrators: nursery staff are not offered it.
    assert "Corriger la facture par un avoir" not in shown


def test_staff_of_another_nursery_cannot_see_the_dispute(client, family, invoice):
    outsider = StaffUserFactory()
    from tests.factories import NurseryFactory

    NurseryFactory(name="Loptiou").staff.add(outsider)
    log_in_with_second_factor(client, outsider)
    sent = dispute(family, invoice)

    assert "Famille Durand" not in text_of(client.get(reverse("backoffice:request-queue")))
    assert client.get(staff_page(sent)).status_code == 404
    action = reverse("backoffice:request-action", kwargs={"reference": sent.reference})
    assert client.post(action, {"action": "refuse", "comment": "Non"}).status_code == 404
    sent.refresh_from_db()
    assert sent.status == RequestStatus.SENT


def test_an_administrator_is_offered_a_credit_note_with_the_reason_suggested(
    client, family, invoice
):
    administrator = StaffUserFactory(is_superuser=True)
    log_in_with_second_factor(client, administrator)
    sent = dispute(family, invoice, lines=[line(invoice, "Repas")])

    response = client.get(staff_page(sent))
    assert "Corriger la facture par un avoir" in text_of(response)
    credit_note_page = client.get(response.context["credit_note_url"])

    assert credit_note_page.status_code == 200
    reason = " ".join(credit_note_page.context["form"]["reason"].value().split())
    date = timezone.localtime(sent.submitted_at).strftime("%d/%m/%Y")
    assert reason == (
        f"Correction suite à votre réclamation du {date} : Repas (Enfant0 Durand) — 20,00 €"
    )
    assert credit_note_page.context["form"]["amount"].value() is None


def test_accepting_changes_nothing_and_the_family_reads_the_answer(
    family_client, family, invoice, nursery_staff
):
    sent = dispute(family, invoice, lines=[line(invoice, "Repas")])

    services.accept_request(
        request=sent, staff=nursery_staff, comment="Avoir AV2022-00001 de 5,00 € émis."
    )

    sent.refresh_from_db()
    assert sent.status == RequestStatus.ACCEPTED
    assert not sent.applies_a_change
    assert not HouseholdChange.objects.exists()
    notification = Notification.objects.get(recipient=family.user)
    assert notification.label == "Réclamation sur une facture"
    assert str(sent.reference) in notification.url
    shown = text_of(family_client.get(page(invoice)))
    assert "Acceptée" in shown
    assert "Avoir AV2022-00001 de 5,00 € émis." in shown


def test_refusing_tells_the_family_why_on_the_invoice_page(
    family_client, family, invoice, nursery_staff
):
    sent = dispute(family, invoice)

    services.refuse_request(
        request=sent, staff=nursery_staff, comment="Les 40 heures figurent au contrat."
    )

    assert Notification.objects.get(recipient=family.user).category == "request"
    shown = text_of(family_client.get(page(invoice)))
    assert "Refusée" in shown
    assert "Les 40 heures figurent au contrat." in shown


def test_the_database_refuses_an_invoice_question_without_its_invoice(family):
    sent = services.submit_request(
        household=family.household,
        kind=RequestKind.MESSAGE,
        submitted_by=family.user,
        payload={"subject": "Facture", "message": "Erreur"},
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Request.objects.filter(pk=sent.pk).update(kind=RequestKind.INVOICE)


def test_a_question_cannot_name_another_households_invoice(family, other_family, invoice):
    with pytest.raises(ValueError):
        dispute(other_family, invoice)


def test_staff_accept_a_question_with_a_comment_and_nothing_else_changes(
    staff_client, family, invoice
):
    sent = dispute(family, invoice)
    page = text_of(staff_client.get(staff_page(sent)))
    assert "Accepter et appliquer la modification" not in page

    action = reverse("backoffice:request-action", kwargs={"reference": sent.reference})
    response = staff_client.post(
        action, {"action": "accept", "comment": "Tarif vérifié : il est juste."}, follow=True
    )

    assert messages_of(response) == ["Demande acceptée : la famille en est informée."]
    sent.refresh_from_db()
    assert sent.status == RequestStatus.ACCEPTED
    assert sent.staff_comment == "Tarif vérifié : il est juste."
    assert not HouseholdChange.objects.exists()


def test_the_suggested_reason_says_the_local_day_and_only_whole_lines(client, family, invoice):
    """Sent at 00:30 in Paris (23:30 UTC the day before): the credit note's suggested reason
    says the family's day. Too many lines for the reason: whole lines only, then « … »."""
    administrator = StaffUserFactory(is_superuser=True)
    log_in_with_second_factor(client, administrator)
    with time_machine.travel(datetime.datetime(2026, 3, 14, 23, 30, tzinfo=datetime.UTC)):
        sent = dispute(family, invoice, lines=[line(invoice, "Repas")])
    many = dispute(family, invoice, lines=[line(invoice, "Heures d'accueil")] * 30)

    def suggested(request):
        page = client.get(client.get(staff_page(request)).context["credit_note_url"])
        return " ".join(page.context["form"]["reason"].value().split())

    assert suggested(sent) == (
        "Correction suite à votre réclamation du 15/03/2026 : Repas (Enfant0 Durand) — 20,00 €"
    )
    reason = suggested(many)
    assert len(reason) <= 500
    assert reason.endswith("Heures d'accueil (Enfant0 Durand) — 100,00 €; …")


@pytest.mark.parametrize("forged", ["99999999999999999999", "abc", "-1", "1.5"])
def test_a_forged_line_id_gets_a_french_message(family_client, invoice, forged):
    response = family_client.post(form_url(invoice), {"lines": [forged], "message": "Erreur"})

    assert_lines_refused(response)


def test_the_service_refuses_a_question_about_a_cancelled_invoice(family, invoice):
    cancel_invoice(invoice=invoice, reason="Erreur de tarif")

    with pytest.raises(ValueError, match="issued invoice"):
        dispute(family, Invoice.objects.get(pk=invoice.pk))
    assert not Request.objects.exists()
