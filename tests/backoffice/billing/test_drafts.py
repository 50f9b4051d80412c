"""Draft invoices made by hand in the back office: lines per child, totals computed by the
billing services, a preview that is never stored."""

import io
from decimal import Decimal

from django.urls import reverse
from pypdf import PdfReader

from portail.billing.models import Invoice

from ..conftest import messages_of, text_of
from .conftest import make_draft

ADD_URL = reverse("admin:billing_invoice_add")


def line_forms(*lines, initial=0):
    """The inline formset's fields: one dict per line (with ``id`` for existing ones)."""
    data = {
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(initial),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate(lines):
        for name, value in line.items():
            data[f"lines-{index}-{name}"] = value
    return data


def draft_form(regie, household, payer, *lines, period="02/2022"):
    return {
        "regie": regie.pk,
        "kind": regie.kinds.get(label="FACTURE JEUNESSE").pk,
        "household": household.pk,
        "payer": payer.pk,
        "period_on": period,
        **line_forms(*lines),
    }


def test_nursery_staff_create_a_draft_whose_total_is_computed_from_its_lines(
    staff_client, nursery_staff, regie, martin
):
    lea = martin.children.get()
    camille = martin.guardians.get(first_name="Camille")

    response = staff_client.post(
        ADD_URL,
        draft_form(
            regie,
            martin,
            camille,
            {
                "child": lea.pk,
                "label": "Heures d'accueil",
                "quantity": "11,6",
                "unit": "hour",
                "unit_price": "2,50",
            },
            {
                "child": lea.pk,
                "label": "Repas",
                "quantity": "3",
                "unit": "meal",
                "unit_price": "1.125",
            },
        ),
    )

    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.number == ""
    assert invoice.period_on.isoformat() == "2022-02-01"
    assert invoice.created_by == nursery_staff
    assert list(invoice.lines.values_list("amount", flat=True)) == [
        Decimal("29.00"),
        Decimal("3.38"),
    ]
    assert invoice.total == Decimal("32.38")
    page = text_of(staff_client.get(response.url))
    assert "Total du brouillon : 32,38 €" in page


def test_editing_a_draft_rewrites_its_lines_and_its_total(admin_client, regie, martin):
    draft = make_draft(regie, martin)
    line = draft.lines.get()
    lea = martin.children.get()
    url = reverse("admin:billing_invoice_change", args=[draft.pk])

    response = admin_client.post(
        url,
        {
            "regie": regie.pk,
            "kind": draft.kind_id,
            "household": martin.pk,
            "payer": draft.payer_id,
            "period_on": "03/2022",
            **line_forms(
                {
                    "id": line.pk,
                    "invoice": draft.pk,
                    "child": lea.pk,
                    "label": line.label,
                    "quantity": "10",
                    "unit": "hour",
                    "unit_price": "2,50",
                },
                {
                    "invoice": draft.pk,
                    "child": lea.pk,
                    "label": "Goûters",
                    "quantity": "4",
                    "unit": "meal",
                    "unit_price": "0,80",
                },
                initial=1,
            ),
        },
    )

    assert response.status_code == 302, text_of(response)
    draft.refresh_from_db()
    assert draft.period_on.month == 3
    assert sorted(draft.lines.values_list("amount", flat=True)) == [
        Decimal("3.20"),
        Decimal("25.00"),
    ]
    assert draft.total == Decimal("28.20")


def test_a_draft_is_refused_with_a_payer_from_another_household(
    admin_client, regie, martin, durand
):
    simon = durand.guardians.get()
    lea = martin.children.get()

    response = admin_client.post(
        ADD_URL,
        draft_form(
            regie,
            martin,
            simon,
            {
                "child": lea.pk,
                "label": "Heures",
                "quantity": "1",
                "unit": "hour",
                "unit_price": "2",
            },
        ),
    )

    assert response.status_code == 200
    assert "Simon Durand n'est pas représentant légal du foyer « Famille Martin »." in text_of(
        response
    )
    assert not Invoice.objects.exists()


def test_a_draft_is_refused_with_a_child_of_another_household(admin_client, regie, martin, durand):
    zoe = durand.children.get()

    response = admin_client.post(
        ADD_URL,
        draft_form(
            regie,
            martin,
            martin.guardians.first(),
            {
                "child": zoe.pk,
                "label": "Heures",
                "quantity": "1",
                "unit": "hour",
                "unit_price": "2",
            },
        ),
    )

    assert response.status_code == 200
    assert "Zoé Durand n'est pas un enfant de ce foyer." in text_of(response)
    assert not Invoice.objects.exists()


def test_a_draft_needs_a_line_and_readable_amounts(admin_client, regie, martin):
    lea = martin.children.get()
    camille = martin.guardians.get(first_name="Camille")

    no_line = admin_client.post(ADD_URL, draft_form(regie, martin, camille))
    bad_amount = admin_client.post(
        ADD_URL,
        draft_form(
            regie,
            martin,
            camille,
            {
                "child": lea.pk,
                "label": "Heures",
                "quantity": "onze",
                "unit": "hour",
                "unit_price": "2,50",
            },
            period="février",
        ),
    )

    assert "Ajoutez au moins une ligne à la facture." in text_of(no_line)
    page = text_of(bad_amount)
    assert "Saisissez un montant comme 29,50." in page
    assert "Saisissez un mois comme 02/2022." in page
    assert not Invoice.objects.exists()


def test_nursery_staff_cannot_make_a_draft_for_another_nurserys_household(
    staff_client, regie, durand
):
    simon = durand.guardians.get()
    zoe = durand.children.get()

    response = staff_client.post(
        ADD_URL,
        draft_form(
            regie,
            durand,
            simon,
            {
                "child": zoe.pk,
                "label": "Heures",
                "quantity": "1",
                "unit": "hour",
                "unit_price": "2",
            },
        ),
    )

    assert response.status_code == 200
    page = text_of(response)
    assert "Sélectionnez un choix valide" in page
    assert not Invoice.objects.exists()


def test_the_add_page_from_a_household_is_prefilled(staff_client, regie, martin):
    response = staff_client.get(ADD_URL + f"?household={martin.pk}")

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial["regie"] == regie.pk
    assert str(form.initial["household"]) == str(martin.pk)


def test_preview_of_a_draft_is_a_pdf_marked_draft_and_nothing_is_stored(staff_client, martin_draft):
    response = staff_client.get(reverse("admin:billing_invoice_preview", args=[martin_draft.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "BROUILLON" in text
    assert "29,00" in text
    martin_draft.refresh_from_db()
    assert martin_draft.number == ""
    assert not martin_draft.pdf
    assert martin_draft.payer_name == ""


def test_a_draft_can_be_deleted_but_not_an_issued_invoice(
    staff_client, martin_draft, martin_invoice
):
    draft_delete = reverse("admin:billing_invoice_delete", args=[martin_draft.pk])
    issued_delete = reverse("admin:billing_invoice_delete", args=[martin_invoice.pk])

    staff_client.post(draft_delete, {"post": "yes"})
    refused = staff_client.post(issued_delete, {"post": "yes"})

    assert not Invoice.objects.filter(pk=martin_draft.pk).exists()
    assert refused.status_code == 403
    assert Invoice.objects.filter(pk=martin_invoice.pk).exists()


def test_saving_a_draft_says_its_total(staff_client, martin_draft):
    response = staff_client.get(reverse("admin:billing_invoice_change", args=[martin_draft.pk]))

    assert response.status_code == 200
    page = text_of(response)
    assert "Prévisualiser" in page
    assert "29,00 €" in page
    assert messages_of(response) == []
