"""« Mes demandes » as the family sees it: sending a request, following its status, the
household's history; never another household's requests or files; constant query counts."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portail.households import services
from portail.households.models import Request, RequestStatus
from tests.portal.families import make_family
from tests.portal.pages import text_of

from .factories import submit_absence_request, submit_address_request, submit_message
from .test_uploads import pdf


def detail_url(request):
    return reverse("portal:request-detail", kwargs={"reference": request.reference})


def test_the_family_reports_an_absence_and_sees_it_sent(family_client, family):
    today = timezone.localdate()
    response = family_client.post(
        reverse("portal:request-create", kwargs={"kind": "absence"}),
        {
            "child_choice": family.child.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + datetime.timedelta(days=1)).isoformat(),
            "reason": "illness",
            "certificate": SimpleUploadedFile("certificat.pdf", pdf()),
        },
    )
    request = Request.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(request)

    page = text_of(family_client.get(detail_url(request)))
    assert "Votre demande a été envoyée à la structure d'accueil." in page
    assert "Statut : Envoyée" in page
    assert "Maladie" in page
    assert "Télécharger certificat.pdf" in page

    listing = text_of(family_client.get(reverse("portal:request-list")))
    assert f"Absence — {family.child.first_name}" in listing
    assert "Envoyée" in listing


def test_the_status_and_the_staff_comment_are_shown(family_client, family, nursery_staff):
    request = submit_address_request(family)
    services.refuse_request(
        request=request, staff=nursery_staff, comment="Merci de joindre un justificatif."
    )

    page = text_of(family_client.get(detail_url(request)))
    assert "Statut : Refusée" in page
    assert "Commentaire de la structure d'accueil : Merci de joindre un justificatif." in page


def test_the_dashboard_tile_shows_the_latest_requests(family_client, family, nursery_staff):
    accepted = submit_message(family, subject="Premier message")
    services.accept_request(request=accepted, staff=nursery_staff)
    submit_absence_request(family)

    page = text_of(family_client.get(reverse("portal:dashboard")))
    assert "Dernières demandes" in page
    assert f"Absence — {family.child.first_name} : Envoyée" in page
    assert "Message à la structure d'accueil : Acceptée" in page


def test_the_chooser_offers_every_kind_of_request(family_client):
    page = text_of(family_client.get(reverse("portal:request-new")))
    for title in [
        "Changement d'adresse postale",
        "Changement de téléphones ou d'e-mail",
        "Nouvelle personne de l'entourage",
        "Modification d'une personne de l'entourage",
        "Retrait d'une personne de l'entourage",
        "Absence",
        "Informations santé",
        "Envoyer un document",
        "Message à la structure d'accueil",
    ]:
        assert title in page


@pytest.mark.parametrize("page", ["portal:my-space", "portal:household", "portal:contacts"])
def test_the_family_pages_link_to_the_forms_instead_of_an_email(family_client, page):
    response = family_client.get(reverse(page))
    html = response.content.decode()
    assert "mailto:creche" not in html
    assert reverse("portal:request-create", kwargs={"kind": "adresse"}) in html
    assert reverse("portal:request-create", kwargs={"kind": "absence"}) in html
    assert "Signaler une absence" in text_of(response)


def test_a_contact_link_prefills_the_change_form(family_client, family):
    url = reverse("portal:request-create", kwargs={"kind": "entourage-modification"})
    response = family_client.get(f"{url}?personne={family.contact.reference}")
    assert response.status_code == 200
    assert f'value="{family.contact.first_name}"' in response.content.decode()


def test_an_unknown_kind_or_another_households_contact_is_not_found(family_client, other_family):
    assert (
        family_client.get(
            reverse("portal:request-create", kwargs={"kind": "inscription"})
        ).status_code
        == 404
    )
    url = reverse("portal:request-create", kwargs={"kind": "entourage-retrait"})
    assert family_client.get(f"{url}?personne={other_family.contact.reference}").status_code == 404
    assert family_client.get(f"{url}?personne=pas-un-uuid").status_code == 404


def test_a_family_cannot_see_another_households_request_or_file(client, family, other_family):
    theirs = services.submit_request(
        household=other_family.household,
        kind="document",
        submitted_by=other_family.user,
        payload={"title": "Attestation CAF"},
        upload=__import__("portail.households.uploads", fromlist=["x"]).check_upload(
            SimpleUploadedFile("caf.pdf", pdf())
        ),
    )
    client.force_login(family.user)
    assert client.get(detail_url(theirs)).status_code == 404
    file_url = reverse("portal:request-attachment", kwargs={"reference": theirs.reference})
    assert client.get(file_url).status_code == 404
    assert "Attestation CAF" not in text_of(client.get(reverse("portal:request-list")))

    client.force_login(other_family.user)
    download = client.get(file_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="caf.pdf"' in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == pdf()


def test_posting_another_households_child_is_refused(family_client, other_family):
    today = timezone.localdate()
    response = family_client.post(
        reverse("portal:request-create", kwargs={"kind": "absence"}),
        {
            "child_choice": other_family.child.pk,
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
            "reason": "illness",
        },
    )
    assert response.status_code == 200
    assert not Request.objects.exists()


def test_the_history_shows_changes_but_never_health_values(family_client, family, nursery_staff):
    services.accept_request(request=submit_address_request(family), staff=nursery_staff)
    health = services.submit_request(
        household=family.household,
        kind="health",
        submitted_by=family.user,
        child=family.child,
        payload={"allergies": "Arachide", "doctor": "", "pai": ""},
    )
    services.accept_request(request=health, staff=nursery_staff)

    page = text_of(family_client.get(reverse("portal:household-history")))
    assert "Historique de mon foyer" in page
    assert "4 rue du Lac" in page
    assert "Nadia Lefèvre" in page
    assert "Informations santé mises à jour" in page
    assert "Arachide" not in page


def count_queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "page", ["list", "history", "dashboard", "detail", "new", "absence-form", "contact-form"]
)
def test_request_pages_cost_the_same_queries_with_1_or_5_requests(client, page):
    def urls(family, request):  # 1 + 1 requests against 5 + 1
        return {
            "list": reverse("portal:request-list"),
            "history": reverse("portal:household-history"),
            "dashboard": reverse("portal:dashboard"),
            "detail": detail_url(request),
            "new": reverse("portal:request-new"),
            "absence-form": reverse("portal:request-create", kwargs={"kind": "absence"}),
            "contact-form": reverse(
                "portal:request-create", kwargs={"kind": "entourage-modification"}
            )
            + f"?personne={family.contact.reference}",
        }[page]

    from tests.factories import StaffUserFactory

    staff = StaffUserFactory()
    counts = []
    for name, size in [("Petit", 1), ("Grand", 5)]:
        family = make_family(name=name, children=size, contacts=size)
        for number in range(size):
            accepted = submit_address_request(family, city=f"Ville {number}")
            services.accept_request(request=accepted, staff=staff)
        pending = submit_absence_request(family)
        client.force_login(family.user)
        counts.append(count_queries(client, urls(family, pending)))
    assert counts[0] == counts[1]


def test_a_status_change_shows_in_progress(family_client, family, nursery_staff):
    request = submit_message(family)
    services.take_request(request=request, staff=nursery_staff)
    assert Request.objects.get().status == RequestStatus.IN_PROGRESS
    assert "Statut : En cours" in text_of(family_client.get(detail_url(request)))
