"""seed_demo gives the demo family an accepted and a pending request, and nadia.lefevre's
nursery a few requests to handle; running it again adds nothing."""

from django.core.management import call_command

from portail.accounts.models import User
from portail.households.models import HouseholdChange, Request, RequestStatus


def test_seed_demo_adds_requests_once():
    call_command("seed_demo", quiet=True)
    camille = User.objects.get(username="camille.martin")
    nadia = User.objects.get(username="nadia.lefevre")

    family_requests = Request.objects.for_user(camille)
    assert sorted(family_requests.values_list("status", flat=True)) == [
        RequestStatus.ACCEPTED,
        RequestStatus.SENT,
        RequestStatus.SENT,
    ]
    assert HouseholdChange.objects.filter(
        household__name="Famille Martin", field_name="work_phone", new_value="04 65 71 90 99"
    ).exists()
    queue = Request.objects.for_staff(nadia).open()
    # The Martins' absence and question about an invoice, and three other households.
    assert queue.count() == 5
    total = Request.objects.count()

    call_command("seed_demo", quiet=True)
    assert Request.objects.count() == total
