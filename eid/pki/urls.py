"""Public PKI endpoints, outside the language prefix: their URLs are baked into certificates."""

from django.urls import path, re_path

from eid.pki import views

app_name = "pki"
urlpatterns = [
    re_path(
        r"^ca/(?P<name>root|issuing)\.(?P<extension>pem|cer)$", views.ca_certificate, name="ca_certificate"
    ),
    re_path(r"^crl/(?P<name>root|issuing)\.crl$", views.crl, name="crl"),
    path("ocsp", views.ocsp_post, name="ocsp"),
    path("ocsp/<path:encoded>", views.ocsp_get, name="ocsp_get"),
    path("certificates/csr", views.certificate_from_csr, name="certificate_from_csr"),
]
