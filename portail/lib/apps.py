from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "portail.lib"
    label = "lib"
