"""The demo centre's price list, infusion package and fee policy at both sites.

The amounts are illustrative, not the centre's prices; the administrator replaces them.
Safe to run again: a site that already has prices is left as it is.
"""

from datetime import date

from clinic.billing import services
from clinic.billing.models import Package, Price, Vat
from clinic.scheduling.models import VisitType

# visit type code -> price in kopecks (demo figures)
PRICES = {
    "first_consultation": 180000,
    "follow_up": 120000,
    "ketamine_infusion": 650000,
    "tes_session": 90000,
    "psychotherapy": 150000,
    "integration": 150000,
    "body_oriented": 150000,
}
# (visit type code, session kind) -> price in kopecks where the kind costs otherwise (demo)
SESSION_KIND_PRICES = {("tes_session", "tacs"): 110000}
PACKAGE_UNITS = 6
PACKAGE_PRICE = 3600000  # six infusions for the price of about five and a half


def load_billing_demo(*, actor, sites) -> None:
    types = {visit_type.code: visit_type for visit_type in VisitType.objects.all()}
    for site in sites.values():
        if Price.objects.filter(site=site).exists():
            continue
        for code, amount in PRICES.items():
            if code in types:
                services.set_price(
                    site, types[code], amount_kopecks=amount, vat=Vat.EXEMPT,
                    valid_from=date(2026, 1, 1), actor=actor,
                )  # fmt: skip
        for (code, kind), amount in SESSION_KIND_PRICES.items():
            if code in types:
                services.set_price(
                    site, types[code], amount_kopecks=amount, vat=Vat.EXEMPT,
                    valid_from=date(2026, 1, 1), session_kind=kind, actor=actor,
                )  # fmt: skip
        if "ketamine_infusion" in types and not Package.objects.filter(site=site).exists():
            services.define_package(
                site, name="Індукційний курс: 6 інфузій", visit_type=types["ketamine_infusion"],
                units=PACKAGE_UNITS, price_kopecks=PACKAGE_PRICE, valid_days=90,
                vat=Vat.EXEMPT, actor=actor,
            )  # fmt: skip
        services.save_site_billing(
            site,
            notice_hours=24,
            late_cancel_percent=50,
            no_show_percent=100,
            provenance="Demo policy: example figures; the centre sets its own.",
            actor=actor,
        )
