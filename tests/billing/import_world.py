"""The world of the import and export tests: a régie, three households with family codes in
two nurseries, staff with their second factor, and helpers to run an import as staff do.

Import the fixtures you use into the test module (pytest finds them there)."""

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portail.billing import imports
from portail.billing.services import create_regie
from portail.jobs.models import Job
from tests.backoffice.conftest import add_device, log_in_with_second_factor
from tests.factories import (
    ChildFactory,
    GuardianFactory,
    HouseholdFactory,
    NurseryFactory,
    StaffUserFactory,
)

SAMPLES = Path(__file__).parent / "samples"
BAD_SAMPLES = SAMPLES / "mauvais"
GOOD_SAMPLE = "factures_exemple.csv"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def pic_et_plume():
    return NurseryFactory(name="Pic et Plume")


@pytest.fixture
def loptiou():
    return NurseryFactory(name="Loptiou")


@pytest.fixture
def regie():
    return create_regie(name="Régie Petite Enfance")


@pytest.fixture
def families(pic_et_plume, loptiou):
    """F001 Martin and F003 Petit at Pic et Plume, F002 Durand at Loptiou."""
    martin = HouseholdFactory(name="Famille Martin", external_code="F001", nursery=pic_et_plume)
    GuardianFactory(
        household=martin, first_name="Julien", last_name="Martin", email="julien@example.fr"
    )
    GuardianFactory(
        household=martin,
        first_name="Camille",
        last_name="Martin",
        email="Camille.Martin@example.fr",
    )
    ChildFactory(household=martin, first_name="Léa", last_name="Martin", nursery=pic_et_plume)

    durand = HouseholdFactory(name="Famille Durand", external_code="F002", nursery=loptiou)
    GuardianFactory(household=durand, first_name="Simon", last_name="Durand")
    # A blended family: the first guardian by last name pays when no e-mail is given.
    GuardianFactory(household=durand, first_name="Anne", last_name="Blanc")
    ChildFactory(household=durand, first_name="Zoé", last_name="Durand", nursery=loptiou)
    ChildFactory(household=durand, first_name="Hugo", last_name="Durand", nursery=loptiou)

    petit = HouseholdFactory(name="Famille Petit", external_code="F003", nursery=pic_et_plume)
    GuardianFactory(household=petit, first_name="Aline", last_name="Petit")
    ChildFactory(household=petit, first_name="Noé", last_name="Petit", nursery=pic_et_plume)
    return {"F001": martin, "F002": durand, "F003": petit}


@pytest.fixture
def administrator():
    user = StaffUserFactory(username="claire.fontaine", is_superuser=True)
    add_device(user)
    return user


@pytest.fixture
def nursery_staff(pic_et_plume):
    user = StaffUserFactory(username="nadia.lefevre")
    pic_et_plume.staff.add(user)
    add_device(user)
    return user


@pytest.fixture
def admin_client(client, administrator):
    log_in_with_second_factor(client, administrator)
    return client


@pytest.fixture
def staff_client(client, nursery_staff):
    log_in_with_second_factor(client, nursery_staff)
    return client


def import_as_staff(content: bytes, *, regie, user, capture, name="factures.csv") -> Job:
    """Queue the import as the upload page does and let the worker run it."""
    with capture(execute=True):
        job = imports.queue_invoice_import(
            regie=regie,
            uploaded_file=SimpleUploadedFile(name, content, content_type="text/csv"),
            created_by=user,
        )
    job.refresh_from_db()
    return job


MARCH_5 = datetime.date(2024, 3, 5)
