from django.contrib import admin
from django.utils import translation

from portail.households.models import Household
from portail.lib.admin_lists import FastActionCheckboxMixin


class FastAdmin(FastActionCheckboxMixin, admin.ModelAdmin):
    pass


def test_fast_action_checkbox_writes_the_html_of_djangos_widget():
    household = Household(pk=42, name='Famille <Martin> & "Fils"')
    site = admin.AdminSite()

    with translation.override("fr"):
        fast = FastAdmin(Household, site).action_checkbox(household)
        django = admin.ModelAdmin(Household, site).action_checkbox(household)

    assert fast == django
    assert "&lt;Martin&gt; &amp; &quot;Fils&quot;" in fast
