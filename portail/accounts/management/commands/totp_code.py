"""Print the current code of a staff member's authenticator app.

For local use only (the demo, a newcomer without an authenticator app at hand): it reads the
device's secret from the database, so whoever can run it could log in as that person."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from portail.accounts.backends import find_user


class Command(BaseCommand):
    help = (
        "Print the current 6-digit code of a staff member's confirmed TOTP device. "
        "For local use (demo, development) only."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="Identifier (or e-mail) of the staff member.")

    def handle(self, *args, username, **options):
        user = find_user(username)
        if user is None:
            raise CommandError(
                _("No account has the identifier « {username} ».").format(username=username)
            )
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            raise CommandError(
                _("{username} has no confirmed authenticator app (TOTP device).").format(
                    username=user.username
                )
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        now = time.time()
        totp.time = now
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        remaining = int(device.step - (now - device.t0) % device.step)
        self.stderr.write(
            _(
                "Valid for {seconds} more seconds. A code works only once: after logging in, "
                "wait for the next one."
            ).format(seconds=remaining)
        )
