"""The simulator must never answer in production: `manage.py check` says so loudly."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def simulator_off_without_debug(app_configs, **kwargs):
    if getattr(settings, "PAYFIP_SIMULATOR_ENABLED", False) and not settings.DEBUG:
        return [
            checks.Warning(
                "The PayFiP simulator is enabled while DEBUG is off.",
                hint="Set PAYFIP_SIMULATOR_ENABLED=0 in production: anyone could mark a "
                "simulated payment as paid.",
                id="payfip_simulator.W001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def simulator_off_in_deployment(app_configs, **kwargs):
    if getattr(settings, "PAYFIP_SIMULATOR_ENABLED", False):
        return [
            checks.Error(
                "The PayFiP simulator is enabled in a deployment.",
                hint="Set PAYFIP_SIMULATOR_ENABLED=0.",
                id="payfip_simulator.E001",
            )
        ]
    return []
