"""The demo centre's prices, package and fee policy."""

import pytest

from clinic.accounts.models import User
from clinic.billing.demo import PRICES, SESSION_KIND_PRICES, load_billing_demo
from clinic.billing.models import Package, Price, SiteBilling
from clinic.scheduling.demo import ensure_visit_types


@pytest.mark.django_db
def test_the_demo_prices_both_sites_once(kyiv, lviv):
    ensure_visit_types()
    system = User.objects.system_actor()
    for _ in range(2):
        load_billing_demo(actor=system, sites={"kyiv": kyiv, "lviv": lviv})
    for site in (kyiv, lviv):
        assert Price.objects.filter(site=site).count() == len(PRICES) + len(SESSION_KIND_PRICES)
        assert Price.objects.get(site=site, session_kind="tacs").amount_kopecks == 110000
        (package,) = Package.objects.filter(site=site)
        assert package.units == 6 and package.visit_type.code == "ketamine_infusion"
        assert SiteBilling.objects.get(site=site).late_cancel_percent == 50
