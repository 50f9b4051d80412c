"""Staff upload the billing software's file, then follow the import on its job page."""

# The fixtures come from import_world (tests/billing has no conftest of ours): a test's
# parameter named like an imported fixture is how pytest injects it.
# ruff: noqa: F811

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portail.billing.imports import MAX_FILE_BYTES
from portail.billing.models import Invoice
from portail.jobs.models import Job
from tests.backoffice.conftest import text_of

from .import_world import (  # noqa: F401 (fixtures)
    GOOD_SAMPLE,
    admin_client,
    administrator,
    families,
    loptiou,
    nursery_staff,
    pic_et_plume,
    regie,
    sample,
    staff_client,
)

URL = "/gestion/outils/import-factures/"


def upload(client, regie, content, name="factures_mars.csv"):
    return client.post(
        URL, {"regie": regie.pk, "file": SimpleUploadedFile(name, content, "text/csv")}
    )


def test_the_import_page_explains_the_expected_file(admin_client, regie):
    response = admin_client.get(URL)

    assert response.status_code == 200
    page = text_of(response)
    assert "Importer des factures" in page
    assert "Tout le fichier est d'abord vérifié" in page
    assert "numero_facture" in page and "prix_unitaire" in page
    assert "INVALID_TEMPLATE_VARIABLE" not in response.content.decode()


def test_staff_upload_a_file_and_land_on_its_job_page(
    admin_client, regie, families, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, regie, sample(GOOD_SAMPLE))

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:job-detail", args=[job.reference])
    page = text_of(admin_client.get(response["Location"]))
    assert "Import des factures de factures_mars.csv dans la régie Régie Petite Enfance" in page
    assert "4 factures importées." in page
    assert "100 %" in page
    assert Invoice.objects.count() == 4


def test_a_wrong_file_shows_every_wrong_line_on_the_job_page(
    staff_client, regie, families, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(staff_client, regie, sample("mauvais/dates_invalides.csv"))

    page = text_of(staff_client.get(response["Location"]))
    assert "Rien n'a été importé : le fichier contient 4 erreurs." in page
    assert "Ligne 3 : la date d'émission « 31/02/2024 » n'existe pas." in page
    assert "Ligne 6 : la date d'échéance « 01/03/2024 » est avant" in page
    assert Invoice.objects.count() == 0


def test_a_file_too_big_is_refused_at_once(admin_client, regie):
    response = upload(admin_client, regie, b"x" * (MAX_FILE_BYTES + 1))

    assert response.status_code == 200
    assert "Le fichier dépasse 5 Mo : découpez-le en plusieurs fichiers." in text_of(response)
    assert Job.objects.count() == 0


def test_the_form_asks_for_a_file_and_a_regie(admin_client, regie):
    response = admin_client.post(URL, {})

    assert response.status_code == 200
    page = text_of(response)
    assert "Veuillez corriger les erreurs ci-dessous." in page
    assert page.count("Ce champ est obligatoire.") == 2
    assert Job.objects.count() == 0
