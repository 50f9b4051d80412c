"""The job pages: staff with their second factor only, their own jobs, progress that
refreshes itself without JavaScript, the outcome, the errors and the result file."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from portail.jobs import services as jobs
from portail.jobs.models import Job
from tests.backoffice.conftest import text_of
from tests.factories import StaffUserFactory, UserFactory


def job_of(user, description="Import des factures de mars.csv", total=8, done=2):
    job = jobs.start_job(
        kind="invoice_import", description=description, created_by=user, parameters={}
    )
    jobs.mark_running(job, total=total)
    jobs.advance(job, done)
    return job


def detail_url(job):
    return reverse("backoffice:job-detail", args=[job.reference])


def test_the_tools_live_under_the_back_office():
    assert reverse("backoffice:job-list") == "/gestion/outils/taches/"
    assert reverse("backoffice:invoice-import") == "/gestion/outils/import-factures/"
    assert reverse("backoffice:accounting-export") == "/gestion/outils/export/"


@pytest.mark.parametrize("url_name", ["job-list", "invoice-import", "accounting-export"])
def test_an_anonymous_visitor_is_sent_to_the_staff_login(client, url_name):
    url = reverse(f"backoffice:{url_name}")

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/gestion/login/?next={url}"


def test_a_job_page_needs_the_second_factor(client, nursery_staff):
    job = job_of(nursery_staff)
    client.force_login(nursery_staff)  # password only: no verified device in the session

    response = client.get(detail_url(job))

    assert response.status_code == 302
    assert response["Location"].startswith("/gestion/login/")


def test_a_family_account_cannot_open_the_tools(client):
    client.force_login(UserFactory())

    response = client.get(reverse("backoffice:job-list"))

    assert response.status_code == 302
    assert response["Location"].startswith("/gestion/login/")


def test_a_running_job_shows_its_progress_and_refreshes_itself(staff_client, nursery_staff):
    job = job_of(nursery_staff)

    response = staff_client.get(detail_url(job))

    assert response.status_code == 200
    content = response.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in content
    assert '<progress id="job-progress" max="100" value="25">' in content
    page = text_of(response)
    assert "Import des factures de mars.csv" in page
    assert "En cours" in page
    assert "25 %" in page
    assert "2 sur 8" in page
    assert "Cette page se met à jour toutes les 2 secondes" in page
    assert "INVALID_TEMPLATE_VARIABLE" not in content


def test_staff_can_stop_and_resume_the_automatic_update(staff_client, nursery_staff):
    """RGAA 13.1: the member of staff controls the page's reloading."""
    job = job_of(nursery_staff)
    assert "Arrêter la mise à jour automatique" in text_of(staff_client.get(detail_url(job)))

    response = staff_client.get(detail_url(job) + "?actualisation=non")

    content = response.content.decode()
    assert 'http-equiv="refresh"' not in content
    page = text_of(response)
    assert "La mise à jour automatique est arrêtée." in page
    assert '<a href="?">Reprendre la mise à jour automatique</a>' in content
    assert "25 %" in page


def test_a_failed_job_lists_every_error_and_stops_refreshing(staff_client, nursery_staff):
    job = job_of(nursery_staff)
    jobs.fail(
        job,
        [
            "Ligne 3 : aucun foyer avec le code famille « F123 ».",
            "Ligne 7 : la date d'émission « 31/02/2024 » n'existe pas.",
        ],
        outcome="Rien n'a été importé : le fichier contient 2 erreurs.",
    )

    response = staff_client.get(detail_url(job))

    content = response.content.decode()
    assert 'http-equiv="refresh"' not in content
    page = text_of(response)
    assert "Échec" in page
    assert "Rien n'a été importé : le fichier contient 2 erreurs." in page
    assert "2 erreurs" in page
    assert "Ligne 3 : aucun foyer avec le code famille « F123 »." in page
    assert "Ligne 7 : la date d'émission « 31/02/2024 » n'existe pas." in page


def test_a_succeeded_job_offers_its_file(staff_client, nursery_staff):
    job = job_of(nursery_staff)
    jobs.succeed(job, "3 factures exportées.", ContentFile(b"\xef\xbb\xbfa;b\r\n", name="f.csv"))

    response = staff_client.get(detail_url(job))
    download = staff_client.get(reverse("backoffice:job-download", args=[job.reference]))

    page = text_of(response)
    assert "Terminée" in page
    assert "100 %" in page
    assert "Télécharger f.csv" in page
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="f.csv"'
    assert b"".join(download.streaming_content) == b"\xef\xbb\xbfa;b\r\n"


def test_a_job_without_file_has_nothing_to_download(staff_client, nursery_staff):
    job = job_of(nursery_staff)

    response = staff_client.get(reverse("backoffice:job-download", args=[job.reference]))

    assert response.status_code == 404


def test_staff_cannot_see_another_staff_members_job(staff_client):
    colleague = StaffUserFactory()
    job = job_of(colleague)
    jobs.succeed(job, "Fait.", ContentFile(b"secret", name="f.csv"))

    page = staff_client.get(detail_url(job))
    download = staff_client.get(reverse("backoffice:job-download", args=[job.reference]))
    listing = staff_client.get(reverse("backoffice:job-list"))

    assert page.status_code == 404
    assert download.status_code == 404
    assert "Import des factures de mars.csv" not in text_of(listing)


def test_an_administrator_sees_every_job_and_who_started_it(admin_client, nursery_staff):
    job = job_of(nursery_staff)

    page = admin_client.get(detail_url(job))
    listing = admin_client.get(reverse("backoffice:job-list"))

    assert page.status_code == 200
    listing_text = text_of(listing)
    assert "Import des factures de mars.csv" in listing_text
    assert nursery_staff.username in listing_text or str(nursery_staff) in listing_text


def test_staff_find_their_recent_jobs_in_the_list(staff_client, nursery_staff):
    job_of(nursery_staff, description="Import des factures de février.csv")
    job_of(nursery_staff, description="Export des paiements de mars")

    response = staff_client.get(reverse("backoffice:job-list"))

    assert response.status_code == 200
    page = text_of(response)
    assert page.index("Export des paiements de mars") < page.index("février.csv")
    assert "INVALID_TEMPLATE_VARIABLE" not in response.content.decode()


def test_a_staff_member_without_jobs_is_told_so(staff_client):
    response = staff_client.get(reverse("backoffice:job-list"))

    assert "Vous n'avez encore lancé aucune tâche." in text_of(response)


def test_an_unknown_job_is_not_found(staff_client):
    response = staff_client.get("/gestion/outils/taches/6f1f4a43-7a3e-4c55-9f7e-3c1c2b0e9d11/")

    assert response.status_code == 404
    assert Job.objects.count() == 0


def test_administrators_browse_every_job_in_the_admin(admin_client, nursery_staff):
    job = job_of(nursery_staff)

    listing = admin_client.get(reverse("admin:jobs_job_changelist"))
    detail = admin_client.get(reverse("admin:jobs_job_change", args=[job.pk]))

    assert listing.status_code == 200
    assert "Import des factures de mars.csv" in text_of(listing)
    assert detail.status_code == 200
    assert detail_url(job) in detail.content.decode()


def test_nursery_staff_do_not_get_the_admin_list_of_jobs(staff_client):
    response = staff_client.get(reverse("admin:jobs_job_changelist"))

    assert response.status_code == 403
