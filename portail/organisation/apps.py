from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "portail.organisation"
    label = "organisation"
