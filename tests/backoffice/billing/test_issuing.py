"""Issuing drafts from the back office, one or many, and issued invoices that never change."""

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from portail.billing.models import Invoice
from portail.jobs.models import Job

from ..conftest import messages_of, text_of
from .conftest import make_draft

CHANGELIST = reverse("admin:billing_invoice_changelist")


def test_an_administrator_issues_a_draft_after_a_confirmation_page(admin_client, martin_draft):
    url = reverse("admin:billing_invoice_issue", args=[martin_draft.pk])

    confirmation = admin_client.get(url)
    martin_draft.refresh_from_db()
    assert martin_draft.status == Invoice.Status.DRAFT
    assert "Vous allez émettre 1 facture en brouillon, pour un total de 29,00 €." in text_of(
        confirmation
    )

    response = admin_client.post(url, {"step": "confirm"}, follow=True)

    martin_draft.refresh_from_db()
    assert martin_draft.status == Invoice.Status.ISSUED
    assert martin_draft.number.startswith("F")
    assert martin_draft.issued_on is not None
    assert martin_draft.payer_name.endswith("Camille Martin")
    assert f"1 facture émise : {martin_draft.number}." in " ".join(messages_of(response))


def test_the_issue_action_confirms_then_issues_the_selected_drafts_in_order(
    admin_client, regie, martin, durand
):
    drafts = [make_draft(regie, martin), make_draft(regie, durand)]
    selection = {"action": "issue_selected", "_selected_action": [d.pk for d in drafts]}

    confirmation = admin_client.post(CHANGELIST, selection)
    assert confirmation.status_code == 200
    assert "Vous allez émettre 2 factures en brouillon, pour un total de 58,00 €." in text_of(
        confirmation
    )
    assert Invoice.objects.filter(status=Invoice.Status.DRAFT).count() == 2

    admin_client.post(CHANGELIST, {**selection, "index": "0", "step": "confirm"})

    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert len(numbers) == 2
    assert all(number.startswith("F") for number in numbers)
    assert not Invoice.objects.filter(status=Invoice.Status.DRAFT).exists()


def test_more_than_fifty_drafts_are_issued_by_a_background_job(
    admin_client, regie, martin, django_capture_on_commit_callbacks
):
    drafts = [make_draft(regie, martin, quantity="1") for _ in range(51)]
    selection = {
        "action": "issue_selected",
        "_selected_action": [d.pk for d in drafts],
        "index": "0",
        "step": "confirm",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(CHANGELIST, selection)

    job = Job.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("backoffice:job-detail", args=[job.reference])
    assert job.status == Job.Status.SUCCEEDED, job.errors
    assert job.done == job.total == 51
    assert "51 factures émises." in job.outcome
    issued = Invoice.objects.exclude(status=Invoice.Status.DRAFT)
    assert issued.count() == 51
    assert issued.exclude(pdf="").count() == 51
    # Numbers follow the order of the drafts, without gaps.
    year = timezone.localdate().year
    by_draft = dict(issued.values_list("pk", "number"))
    assert [by_draft[d.pk] for d in drafts] == [f"F{year}-{n:04d}" for n in range(1, 52)]


def test_an_issued_invoice_page_is_read_only(admin_client, martin_invoice):
    response = admin_client.get(reverse("admin:billing_invoice_change", args=[martin_invoice.pk]))

    assert response.status_code == 200
    page = text_of(response)
    assert f"La facture {martin_invoice.number} est émise : elle ne change plus." in page
    assert 'name="_save"' not in response.content.decode()
    assert 'name="lines-0-quantity"' not in response.content.decode()
    assert "Créer un avoir" in page
    assert "Annuler la facture" in page
    assert "Prévisualiser" not in page


def test_posting_changes_to_an_issued_invoice_changes_nothing_and_says_why(
    admin_client, regie, martin, martin_invoice
):
    line = martin_invoice.lines.get()
    url = reverse("admin:billing_invoice_change", args=[martin_invoice.pk])

    response = admin_client.post(
        url,
        {
            "regie": regie.pk,
            "kind": martin_invoice.kind_id,
            "household": martin.pk,
            "payer": martin_invoice.payer_id,
            "period_on": "03/2022",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-id": line.pk,
            "lines-0-invoice": martin_invoice.pk,
            "lines-0-label": "Heures",
            "lines-0-quantity": "1000",
            "lines-0-unit": "hour",
            "lines-0-unit_price": "2,50",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert (
        f"La facture {martin_invoice.number} est émise : elle ne change plus. Corrigez-la par "
        "un avoir, ou annulez-la." in messages_of(response)
    )
    martin_invoice.refresh_from_db()
    assert martin_invoice.period_on.month == 2
    assert martin_invoice.total == Decimal("29.00")
    assert martin_invoice.lines.get().quantity == Decimal("11.60")


def test_issuing_an_issued_invoice_again_is_refused_in_french(admin_client, martin_invoice):
    url = reverse("admin:billing_invoice_issue", args=[martin_invoice.pk])

    response = admin_client.post(url, {"step": "confirm"}, follow=True)

    assert response.status_code == 200
    assert any("est émise : elle ne change plus" in m for m in messages_of(response))


def test_nursery_staff_prepare_drafts_but_do_not_issue_them(staff_client, martin_draft):
    changelist = staff_client.get(CHANGELIST)
    issue = staff_client.post(
        reverse("admin:billing_invoice_issue", args=[martin_draft.pk]), {"step": "confirm"}
    )
    page = staff_client.get(reverse("admin:billing_invoice_change", args=[martin_draft.pk]))

    assert "issue_selected" not in changelist.content.decode()
    assert issue.status_code == 404
    assert "Émettre" not in text_of(page)
    martin_draft.refresh_from_db()
    assert martin_draft.status == Invoice.Status.DRAFT


def test_the_stored_pdf_is_downloaded_from_the_invoice_page(
    admin_client, regie, martin, django_capture_on_commit_callbacks
):
    draft = make_draft(regie, martin)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:billing_invoice_issue", args=[draft.pk]), {"step": "confirm"}
        )
    draft.refresh_from_db()

    page = admin_client.get(reverse("admin:billing_invoice_change", args=[draft.pk]))
    download = admin_client.get(reverse("admin:billing_invoice_pdf", args=[draft.pk]))

    assert "Télécharger le PDF" in text_of(page)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == draft.pdf.open("rb").read()
