"""« Les nouvelles factures, actualités et éditions de documents sont notifiées »: one
in-app notification per guardian account, e-mailed by each guardian's preference, in bulk."""

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from portail.notifications.models import (
    Delivery,
    Notification,
    NotificationCategory,
    NotificationPreference,
    OutgoingEmail,
)
from portail.notifications.services import notify_households, set_preferences
from portail.organisation.models import Organisation
from tests.factories import GuardianFactory, UserFactory

from .factories import make_family

NEWS = NotificationCategory.NEWS


def notify_news(households, capture, label="Fête de l'été", url="/actualites/"):
    with capture(execute=True):
        return notify_households(households=households, category=NEWS, label=label, url=url)


def french(message: str, **values) -> str:
    with translation.override("fr"):
        return gettext(message).format(**values)


def test_each_guardian_account_of_each_household_is_notified(django_capture_on_commit_callbacks):
    first, second = make_family(name="Martin"), make_family(name="Durand")
    partner = UserFactory(username="paul.martin", email="paul.martin@example.fr")
    GuardianFactory(household=first.household, user=partner, email=partner.email)
    GuardianFactory(household=first.household, user=None, email="sans.compte@example.fr")

    notify_news([first.household, second.household], django_capture_on_commit_callbacks)

    notified = Notification.objects.values_list("recipient__username", "household__name")
    assert sorted(notified) == [
        ("durand.marie", "Famille Durand"),
        ("martin.marie", "Famille Martin"),
        ("paul.martin", "Famille Martin"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "durand.marie@example.fr",
        "martin.marie@example.fr",
        "paul.martin@example.fr",
    ]


def test_notification_email_says_what_happened_in_the_recipients_language(
    django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://portail.example.fr"
    french_family = make_family(name="Martin")
    english_family = make_family(name="Smith")
    english_family.user.language = "en"
    english_family.user.save()

    notify_news(
        [french_family.household, english_family.household], django_capture_on_commit_callbacks
    )

    by_address = {message.to[0]: message for message in mail.outbox}
    french_mail = by_address["martin.marie@example.fr"]
    english_mail = by_address["smith.marie@example.fr"]
    assert french("A news item has been published: {label}.", label="Fête de l'été") in (
        french_mail.body
    )
    assert "A news item has been published: Fête de l'été." in english_mail.body
    assert "https://portail.example.fr/actualites/" in french_mail.body
    assert "https://portail.example.fr/mon-espace/notifications/" in french_mail.body
    html = french_mail.alternatives[0][0]
    for message in (french_mail, english_mail):
        assert "INVALID_TEMPLATE_VARIABLE" not in message.subject + message.body
        assert "INVALID_TEMPLATE_VARIABLE" not in message.alternatives[0][0]
    assert 'href="https://portail.example.fr/actualites/"' in html
    assert "Fête de l&#x27;été" in html


def test_guardian_who_chose_never_is_notified_in_app_but_not_emailed(
    django_capture_on_commit_callbacks,
):
    family = make_family(name="Martin")
    set_preferences(user=family.user, deliveries={NEWS: Delivery.NEVER})

    notify_news([family.household], django_capture_on_commit_callbacks)

    assert mail.outbox == []
    notification = Notification.objects.get()
    assert notification.delivery == Delivery.NEVER
    assert notification.read_at is None


def test_guardian_who_chose_the_daily_digest_gets_no_email_straight_away(
    django_capture_on_commit_callbacks,
):
    family = make_family(name="Martin")
    set_preferences(user=family.user, deliveries={NEWS: Delivery.DAILY_DIGEST})

    notify_news([family.household], django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert list(Notification.objects.awaiting_digest()) == list(Notification.objects.all())


def test_preference_of_one_category_leaves_the_others_emailed(django_capture_on_commit_callbacks):
    family = make_family(name="Martin")
    set_preferences(user=family.user, deliveries={NEWS: Delivery.NEVER})

    with django_capture_on_commit_callbacks(execute=True):
        notify_households(
            households=[family.household],
            category=NotificationCategory.MENU,
            label="Menus de juin",
            url="/menus-restauration/",
        )

    assert len(mail.outbox) == 1


@pytest.mark.parametrize("category", [NotificationCategory.INVOICE, "payment_problem"])
def test_invoices_and_payment_problems_cannot_be_switched_off(
    category, django_capture_on_commit_callbacks
):
    family = make_family(name="Martin")
    set_preferences(user=family.user, deliveries={category: Delivery.NEVER})
    assert not NotificationPreference.objects.exists(), "the choice is ignored"

    with django_capture_on_commit_callbacks(execute=True):
        notify_households(households=[family.household], category=category, label="F-1", url="/")

    assert len(mail.outbox) == 1


def test_database_refuses_switching_invoices_off():
    from django.db import IntegrityError

    family = make_family(name="Martin")
    with pytest.raises(IntegrityError):
        NotificationPreference.objects.create(
            user=family.user, category=NotificationCategory.INVOICE, delivery=Delivery.NEVER
        )


def test_guardian_without_email_address_is_notified_in_app_only(
    django_capture_on_commit_callbacks,
):
    family = make_family(name="Martin")
    family.guardian.email = ""
    family.guardian.save()
    family.user.email = ""
    family.user.save()

    notify_news([family.household], django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert Notification.objects.get().delivery == Delivery.NEVER


@pytest.mark.parametrize(
    "url",
    ["https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com", "javascript:x()"],
)
def test_notification_links_only_to_the_portal(url):
    family = make_family(name="Martin")
    with pytest.raises(ValueError):
        notify_households(households=[family.household], category=NEWS, label="x", url=url)
    assert not Notification.objects.exists()


def test_notifying_a_queryset_of_households_works_like_a_list(django_capture_on_commit_callbacks):
    from portail.households.models import Household

    make_family(name="Martin"), make_family(name="Durand")

    notify_news(Household.objects.all(), django_capture_on_commit_callbacks)

    assert Notification.objects.count() == 2


def make_households(count: int, prefix: str):
    families = [
        make_family(name=f"{prefix}{index}", children=0, contacts=0) for index in range(count)
    ]
    # A third of the guardians take the daily summary, a third nothing: every branch is taken.
    for index, family in enumerate(families):
        if index % 3 == 1:
            set_preferences(user=family.user, deliveries={NEWS: Delivery.DAILY_DIGEST})
        elif index % 3 == 2:
            set_preferences(user=family.user, deliveries={NEWS: Delivery.NEVER})
    return [family.household for family in families]


def test_notifying_households_costs_the_same_queries_for_1_or_50_households(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    Organisation.current()  # made on first use: not what is measured
    one = make_households(1, "Un")
    fifty = make_households(50, "Cinquante")

    # savepoint, guardians, preferences, notifications, savepoint, organisation, e-mails,
    # release, release
    with django_capture_on_commit_callbacks(execute=False):
        with django_assert_num_queries(9):
            notify_households(households=one, category=NEWS, label="A", url="/")
        with django_assert_num_queries(9):
            notify_households(households=fifty, category=NEWS, label="B", url="/")

    assert Notification.objects.filter(label="B").count() == 50
    assert OutgoingEmail.objects.count() == 1 + 17, "one in three takes the e-mail straight away"
