"""seed_demo gives camille.martin a few notifications, once however often it runs."""

from io import StringIO

from django.core.management import call_command

from portail.accounts.models import User
from portail.notifications.models import Notification


def seed() -> None:
    call_command("seed_demo", stdout=StringIO())


def test_seed_demo_gives_the_demo_family_notifications_once(client):
    seed()
    seed()

    camille = User.objects.get(username="camille.martin")
    demo = Notification.objects.filter(recipient=camille, label="Fête de fin d'année")
    assert demo.count() == 1
    assert Notification.objects.for_user(camille).unread().count() >= 3
    assert Notification.objects.for_user(camille).filter(read_at__isnull=False).exists()
