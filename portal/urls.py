from allauth.account.decorators import secure_admin_login
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from payments import views as payments_views
from portal import views

# The admin site signs in through the portal's own sign-in (authenticator code or passkey, rate
# limits, lockout, audit); its password-only form would bypass all of them.
admin.site.login = secure_admin_login(admin.site.login)

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
# allauth answers rate-limited requests through this handler.
handler429 = "portal.views.too_many_requests"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("payments/stripe/webhook", payments_views.stripe_webhook, name="stripe_webhook"),
    # The PKI, outside the language prefix: these URLs are written into certificates (CRL, OCSP).
    path("pki/", include("eid.pki.urls")),
    path("api/v1/notifications/", include("services.notifications.api_urls")),
    path("api/v1/signing/", include("eid.pki.api")),
    path("api/v1/eforms/", include("services.eforms.api_urls")),
    path("api/v1/", include("eid.oidc.api")),
    # The OpenID Connect provider: discovery, JWKS, authorize, token, userinfo (not language-prefixed).
    path("", include("eid.oidc.urls")),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("my/", views.my_portal, name="my_portal"),
    path("back-office/", views.back_office, name="back_office"),
    path("back-office/messages/", include("services.notifications.backoffice_urls")),
    path("back-office/verification/", include("eid.backoffice_urls")),
    path("back-office/certificates/", include("eid.pki.backoffice_urls")),
    path("back-office/payments/", include("payments.backoffice_urls")),
    path("back-office/forms/", include("services.eforms.backoffice_urls")),
    path("back-office/partners/", include("eid.oidc.partner_backoffice_urls")),
    path("back-office/applications/", include("services.eforms.casework_urls")),
    path("payments/", include("payments.urls")),
    path("eid/connected-services/", include("eid.oidc.resident_urls")),
    path("eid/partners/", include("eid.oidc.partner_urls")),
    path("eid/verify/", include("eid.pki.page_urls")),
    path("eid/signing/", include("eid.pki.resident_urls")),
    path("eid/", include("eid.urls")),
    path("services/", include("services.urls")),
    # One-click unsubscribe links from emails: no sign-in, the signed token is the authority.
    path("notifications/", include("services.notifications.public_urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=True,
)
