"""The daily summary: one e-mail per person with what they chose to receive once a day and
have not read yet, since the last summary; running it twice sends nothing more."""

import io

from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext

from portail.notifications.models import Delivery, Notification, NotificationCategory
from portail.notifications.services import (
    notify_households,
    send_notification_digests,
    set_preferences,
)
from portail.organisation.models import Organisation

from .factories import make_family

NEWS, MENU = NotificationCategory.NEWS, NotificationCategory.MENU


def digest_family(name, capture):
    family = make_family(name=name)
    set_preferences(
        user=family.user, deliveries={NEWS: Delivery.DAILY_DIGEST, MENU: Delivery.DAILY_DIGEST}
    )
    return family


def publish(family, category, label, url, capture):
    with capture(execute=True):
        notify_households(households=[family.household], category=category, label=label, url=url)


def run_digests(capture) -> int:
    with capture(execute=True):
        return send_notification_digests()


def test_digest_lists_every_unread_notification_in_one_email(
    django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://portail.example.fr"
    capture = django_capture_on_commit_callbacks
    family = digest_family("Martin", capture)
    publish(family, NEWS, "Fête de l'été", "/actualites/fete/", capture)
    publish(family, MENU, "Menus de juin", "/menus-restauration/", capture)
    assert mail.outbox == []

    assert run_digests(capture) == 1

    (message,) = mail.outbox
    assert message.to == ["martin.marie@example.fr"]
    with translation.override("fr"):
        news = gettext("A news item has been published: {label}.").format(label="Fête de l'été")
        menu = gettext("A new menu has been published: {label}.").format(label="Menus de juin")
    assert news in message.body
    assert menu in message.body
    assert message.body.index(news) < message.body.index(menu), "oldest first"
    assert "https://portail.example.fr/actualites/fete/" in message.body
    assert "https://portail.example.fr/notifications/" in message.body
    assert " 2 " in message.subject
    assert "INVALID_TEMPLATE_VARIABLE" not in message.subject + message.body
    assert "INVALID_TEMPLATE_VARIABLE" not in message.alternatives[0][0]


def test_running_the_digest_twice_sends_nothing_more(django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    family = digest_family("Martin", capture)
    publish(family, NEWS, "Fête de l'été", "/actualites/", capture)

    assert run_digests(capture) == 1
    assert run_digests(capture) == 0
    assert len(mail.outbox) == 1

    publish(family, NEWS, "Kermesse", "/actualites/", capture)
    assert run_digests(capture) == 1
    assert len(mail.outbox) == 2
    assert "Kermesse" in mail.outbox[1].body
    assert "Fête de l'été" not in mail.outbox[1].body, "only what came since the last summary"


def test_digest_leaves_out_what_was_already_read(django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    family = digest_family("Martin", capture)
    publish(family, NEWS, "Déjà lue", "/actualites/", capture)
    Notification.objects.update(read_at=timezone.now())

    assert run_digests(capture) == 0
    assert mail.outbox == []
    assert not Notification.objects.awaiting_digest().exists()


def test_digest_sends_one_email_per_person(django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    martin, durand = digest_family("Martin", capture), digest_family("Durand", capture)
    straight_away = make_family(name="Petit")
    for family in (martin, durand, straight_away):
        publish(family, NEWS, "Fête", "/actualites/", capture)
    mail.outbox.clear()

    assert run_digests(capture) == 2
    assert sorted(m.to[0] for m in mail.outbox) == [
        "durand.marie@example.fr",
        "martin.marie@example.fr",
    ]


def test_digest_command_reports_how_many_emails_it_queued(django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    family = digest_family("Martin", capture)
    publish(family, NEWS, "Fête", "/actualites/", capture)
    out = io.StringIO()

    with capture(execute=True):
        call_command("send_notification_digests", stdout=out)

    assert out.getvalue().startswith("1 ")
    assert len(mail.outbox) == 1


def test_digest_queries_do_not_grow_with_the_people(
    django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    capture = django_capture_on_commit_callbacks
    Organisation.current()  # made on first use: not what is measured
    for index in range(10):
        family = digest_family(f"F{index}", capture)
        publish(family, NEWS, "Fête", "/actualites/", capture)

    # savepoint, notifications, addresses, savepoint, organisation, e-mails, release, update,
    # release
    with capture(execute=False), django_assert_max_num_queries(9):
        assert send_notification_digests() == 10


def test_notification_whose_sender_emailed_it_already_is_not_summarised_again(
    django_capture_on_commit_callbacks,
):
    from portail.notifications.services import household_recipients, notify_recipients

    capture = django_capture_on_commit_callbacks
    family = make_family(name="Martin")
    debit = NotificationCategory.DIRECT_DEBIT
    set_preferences(user=family.user, deliveries={debit: Delivery.DAILY_DIGEST})
    recipients = household_recipients([family.household])

    with capture(execute=True):
        notify_recipients(
            category=debit,
            entries=[(recipient, "RUM-0001", "/mes-prelevements/") for recipient in recipients],
            send_emails=False,  # the direct-debit e-mail of its own went out
        )

    assert run_digests(capture) == 0
    assert mail.outbox == []
