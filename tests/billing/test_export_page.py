"""Staff ask for the accountant's file, then download it from the job page."""

# The fixtures come from import_world (tests/billing has no conftest of ours): a test's
# parameter named like an imported fixture is how pytest injects it.
# ruff: noqa: F811

import codecs

from django.urls import reverse

from portail.billing.imports import import_invoices
from portail.jobs.models import Job
from tests.backoffice.conftest import text_of

from .import_world import (  # noqa: F401 (fixtures)
    GOOD_SAMPLE,
    families,
    loptiou,
    nursery_staff,
    pic_et_plume,
    regie,
    sample,
    staff_client,
)

URL = "/gestion/outils/export/"


def test_the_export_page_offers_invoices_or_payments(staff_client, regie):
    response = staff_client.get(URL)

    assert response.status_code == 200
    page = text_of(response)
    assert "Export pour le comptable" in page
    assert "Les factures émises" in page
    assert "Les paiements reçus" in page
    assert "INVALID_TEMPLATE_VARIABLE" not in response.content.decode()


def test_nursery_staff_download_the_invoices_of_their_nurseries(
    staff_client, regie, families, django_capture_on_commit_callbacks
):
    import_invoices(content=sample(GOOD_SAMPLE), regie=regie)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            URL,
            {
                "regie": regie.pk,
                "kind": "invoices",
                "start_on": "2024-03-01",
                "end_on": "31/03/2024",
            },
        )

    job = Job.objects.get()
    assert response["Location"] == reverse("backoffice:job-detail", args=[job.reference])
    page = text_of(staff_client.get(response["Location"]))
    assert "2 factures exportées." in page
    download = staff_client.get(reverse("backoffice:job-download", args=[job.reference]))
    content = b"".join(download.streaming_content)
    assert content.startswith(codecs.BOM_UTF8)
    lines = content.decode("utf-8-sig").splitlines()
    assert [line.split(";")[0] for line in lines[1:]] == ["764", "766"]


def test_a_period_that_ends_before_it_starts_is_refused(staff_client, regie):
    response = staff_client.post(
        URL,
        {"regie": regie.pk, "kind": "payments", "start_on": "2024-03-31", "end_on": "2024-03-01"},
    )

    assert response.status_code == 200
    assert "La fin de la période est avant son début." in text_of(response)
    assert Job.objects.count() == 0
