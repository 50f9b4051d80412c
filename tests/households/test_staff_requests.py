"""The back office's queue of requests: nursery staff see and handle only their nurseries'
requests; one click accepts and applies; a refusal needs a comment; the household's page
shows its history."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portail.households import services
from portail.households.models import HouseholdChange, RequestStatus
from portail.households.uploads import check_upload
from tests.backoffice.conftest import log_in_with_second_factor, messages_of, text_of
from tests.factories import StaffUserFactory

from .factories import submit_absence_request, submit_address_request, submit_message
from .test_uploads import pdf

QUEUE = reverse("backoffice:request-queue")


def detail(request):
    return reverse("backoffice:request-detail", kwargs={"reference": request.reference})


def action(request):
    return reverse("backoffice:request-action", kwargs={"reference": request.reference})


def test_nursery_staff_see_only_their_nurseries_requests(staff_client, family, other_family):
    ours = submit_address_request(family)
    theirs = submit_message(other_family, subject="Confidentiel")

    page = text_of(staff_client.get(QUEUE))
    assert "Famille Durand" in page
    assert "Famille Bertin" not in page
    assert staff_client.get(detail(ours)).status_code == 200
    assert staff_client.get(detail(theirs)).status_code == 404
    response = staff_client.post(action(theirs), {"action": "accept"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == RequestStatus.SENT


def test_an_administrator_sees_every_request(client, family, other_family):
    admin = StaffUserFactory(is_superuser=True)
    log_in_with_second_factor(client, admin)
    submit_address_request(family)
    submit_message(other_family)

    page = text_of(client.get(QUEUE))
    assert "Famille Durand" in page
    assert "Famille Bertin" in page


def test_the_queue_filters_by_status_and_kind(staff_client, family, nursery_staff):
    accepted = submit_message(family, subject="Ancien")
    services.accept_request(request=accepted, staff=nursery_staff)
    submit_absence_request(family)

    open_page = text_of(staff_client.get(QUEUE))
    assert "1 demande, la plus ancienne en premier" in open_page
    assert "Absence" in open_page
    everything = text_of(staff_client.get(QUEUE, {"status": "all", "kind": "message"}))
    assert "Message à la structure d'accueil" in everything
    assert "1 demande" in everything


def test_staff_compare_and_accept_in_one_click(staff_client, family):
    old_address = family.household.address_line1
    request = submit_address_request(family)

    page = text_of(staff_client.get(detail(request)))
    assert "4 rue du Lac" in page
    assert old_address in page
    assert "Accepter et appliquer la modification" in page

    response = staff_client.post(action(request), {"action": "accept"}, follow=True)
    assert messages_of(response) == ["Demande acceptée : la modification a été appliquée."]
    family.household.refresh_from_db()
    assert family.household.address_line1 == "4 rue du Lac"

    again = staff_client.post(action(request), {"action": "accept"}, follow=True)
    assert messages_of(again) == [
        "Cette demande a déjà été traitée : elle ne peut pas être acceptée à nouveau."
    ]
    assert HouseholdChange.objects.filter(field_name="address_line1").count() == 1


def test_taking_then_refusing_needs_a_comment(staff_client, family):
    request = submit_message(family)

    taken = staff_client.post(action(request), {"action": "take"}, follow=True)
    assert messages_of(taken) == [
        "Vous avez pris en charge cette demande : la famille la voit « en cours »."
    ]
    refused = staff_client.post(action(request), {"action": "refuse", "comment": ""}, follow=True)
    assert messages_of(refused) == [
        "Indiquez pourquoi la demande est refusée : la famille lit ce commentaire."
    ]
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_PROGRESS

    staff_client.post(action(request), {"action": "refuse", "comment": "Hors délai."})
    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED
    assert request.staff_comment == "Hors délai."


def test_staff_download_files_only_of_their_nurseries(staff_client, family, other_family):
    upload = check_upload(SimpleUploadedFile("certificat.pdf", pdf()))
    ours = services.submit_request(
        household=family.household,
        kind="document",
        submitted_by=family.user,
        payload={"title": "Certificat"},
        upload=upload,
    )
    theirs = services.submit_request(
        household=other_family.household,
        kind="document",
        submitted_by=other_family.user,
        payload={"title": "Certificat"},
        upload=check_upload(SimpleUploadedFile("autre.pdf", pdf())),
    )

    response = staff_client.get(
        reverse("backoffice:request-attachment", kwargs={"reference": ours.reference})
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="certificat.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    forbidden = staff_client.get(
        reverse("backoffice:request-attachment", kwargs={"reference": theirs.reference})
    )
    assert forbidden.status_code == 404


def test_families_cannot_open_the_staff_queue(client, family):
    client.force_login(family.user)
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert "/gestion/login/" in response["Location"]


def test_the_household_page_shows_requests_and_history(staff_client, family, nursery_staff):
    request = submit_address_request(family)
    services.accept_request(request=request, staff=nursery_staff)

    page = text_of(
        staff_client.get(reverse("admin:households_household_change", args=[family.household.pk]))
    )
    assert "Demandes et historique" in page
    assert "Changement d'adresse postale" in page
    assert "4 rue du Lac" in page
    assert "Nadia Lefèvre" in page


def test_the_admin_index_links_to_the_queue(staff_client):
    assert QUEUE in staff_client.get(reverse("admin:index")).content.decode()


def form_data(response, form_id) -> dict:
    """The values a browser would post from the admin's form, as rendered."""
    from lxml import html as lxml_html

    form = lxml_html.fromstring(response.content).get_element_by_id(form_id)
    data = {}
    for field in form.xpath(".//input|.//select|.//textarea"):
        name = field.get("name")
        kind = field.get("type", "")
        if not name or kind in ("submit", "file"):
            continue
        if kind == "checkbox":
            if field.get("checked") is not None:
                data[name] = field.get("value", "on")
        elif field.tag == "select":
            chosen = field.xpath("./option[@selected]") or field.xpath("./option")[:1]
            if chosen and chosen[0].get("value"):
                data[name] = chosen[0].get("value")
        elif field.tag == "textarea":
            data[name] = field.text or ""
        else:
            data[name] = field.get("value", "")
    return data


def test_staff_edits_of_the_household_write_the_history(staff_client, family, nursery_staff):
    url = reverse("admin:households_household_change", args=[family.household.pk])
    data = form_data(staff_client.get(url), "household_form")
    data["city"] = "Seynod"
    data["contacts-0-can_pick_up"] = "" if data.get("contacts-0-can_pick_up") else "on"
    if not data["contacts-0-can_pick_up"]:
        del data["contacts-0-can_pick_up"]

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    rows = HouseholdChange.objects.filter(household=family.household, changed_by=nursery_staff)
    changed = {(row.object_label, row.field_name, row.new_value) for row in rows}
    assert (family.household.name, "city", "Seynod") in changed
    assert any(field == "can_pick_up" for _label, field, _value in changed)


def test_staff_edits_of_health_information_say_only_that_it_changed(
    staff_client, family, nursery_staff
):
    url = reverse("admin:households_child_change", args=[family.child.pk])
    data = form_data(staff_client.get(url), "child_form")
    data["allergies"] = "Gluten"

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    family.child.refresh_from_db()
    assert family.child.allergies == "Gluten"
    assert family.child.health_updated_at is not None
    row = HouseholdChange.objects.get(household=family.household)
    assert (row.action, row.old_value, row.new_value) == ("health", "", "")


def test_a_request_without_a_nursery_goes_to_the_administrators(client, family, nursery_staff):
    family.household.nursery = None
    family.household.save()
    family.child.nursery = None
    family.child.save()
    request = submit_message(family)
    assert request.nursery is None

    log_in_with_second_factor(client, nursery_staff)
    assert client.get(detail(request)).status_code == 404

    log_in_with_second_factor(client, StaffUserFactory(is_superuser=True))
    for url in [QUEUE, detail(request)]:
        content = client.get(url).content.decode()
        assert "INVALID_TEMPLATE_VARIABLE" not in content
        assert "Famille Durand" in content
    client.force_login(family.user)
    page = client.get(reverse("portal:request-detail", kwargs={"reference": request.reference}))
    assert "Envoyée le" in page.content.decode()
    assert "INVALID_TEMPLATE_VARIABLE" not in page.content.decode()


def test_the_queue_costs_the_same_queries_with_1_or_5_requests(staff_client, family):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        staff_client.get(QUEUE)
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(QUEUE).status_code == 200
        return len(captured)

    submit_absence_request(family)
    one = queries()
    for _ in range(4):
        submit_address_request(family)
    assert queries() == one
