from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "portail.households"
    label = "households"
