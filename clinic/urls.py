"""Every URL of the system. Each view declares its access policy (clinic.core.policy);
third-party views get theirs here through `declare`."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.i18n import set_language

from clinic.core import views as core_views
from clinic.core.policy import declare, public, recently_authenticated, sign_in_step, signed_in
from clinic.website import views as website_views
from clinic.website.seo import SITEMAPS

# allauth: the sign-in pages are public by nature; the account and second-factor pages need a
# signed-in user, except the code prompt that is part of signing in.
account_urls = declare(
    include("allauth.account.urls")[0].urlpatterns,
    public,
    {
        "account_email": signed_in,
        "account_change_password": signed_in,
        "account_set_password": signed_in,
        "account_reauthenticate": signed_in,
        "account_confirm_login_code": sign_in_step,
    },
)


def signed_in_recently(view):
    return signed_in(recently_authenticated(view))


# Recovery codes are a second factor in plain text: showing, downloading or replacing them asks
# for a recent sign-in or re-authentication (allauth's own check is off, see settings).
mfa_urls = declare(
    include("allauth.mfa.urls")[0].urlpatterns,
    signed_in,
    {
        "mfa_authenticate": sign_in_step,
        "mfa_trust": sign_in_step,
        "mfa_view_recovery_codes": signed_in_recently,
        "mfa_download_recovery_codes": signed_in_recently,
        "mfa_generate_recovery_codes": signed_in_recently,
    },
)

urlpatterns = [
    path("", website_views.root, name="home"),
    path("staff/", include("clinic.dashboard.urls")),
    path("staff/", include("clinic.core.urls")),
    path("staff/team/", include("clinic.accounts.urls")),
    path("staff/sites/", include("clinic.locations.urls")),
    path("staff/patients/", include("clinic.patients.urls")),
    path("staff/formulary/", include("clinic.formulary.urls")),
    path("staff/inquiries/", include("clinic.inquiries.urls")),
    path("staff/content/", include("clinic.website.editor_urls")),
    path("staff/drugs/", include("clinic.controlled_drugs.urls")),
    path("staff/assessments/", include("clinic.assessments.urls")),
    path("staff/schedule/", include("clinic.scheduling.urls")),
    path("staff/", include("clinic.treatment.urls")),
    path("staff/billing/", include("clinic.billing.urls")),
    path("staff/portal/", include("clinic.portal.staff_urls")),
    path("accounts/", include(account_urls)),
    path("accounts/2fa/", include(mfa_urls)),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("healthz", core_views.healthz, name="healthz"),
    path("robots.txt", website_views.robots_txt, name="robots_txt"),
    path("sitemap.xml", public(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("readyz", core_views.readyz, name="readyz"),
]

# The public site, under /uk/ and /en/.
urlpatterns += i18n_patterns(
    path("", include("clinic.website.urls")),
    path("", include("clinic.inquiries.public_urls")),
    path("", include("clinic.assessments.public_urls")),
    path("", include("clinic.scheduling.public_urls")),
    path("", include("clinic.portal.urls")),
)

handler403 = core_views.permission_denied
handler404 = website_views.page_not_found
handler500 = core_views.server_error
