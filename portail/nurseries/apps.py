from django.apps import AppConfig


class NurseriesConfig(AppConfig):
    name = "portail.nurseries"
    label = "nurseries"
