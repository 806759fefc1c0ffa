"""The provider's endpoints at the site root (not language-prefixed: partners configure fixed URLs).

The same paths and names as allauth.idp.urls (`idp:oidc:*`), routed to the portal's subclasses.
The device flow and dynamic client registration are not offered, so not routed.
"""

from django.urls import include, path

from eid.oidc import views

app_name = "idp"

_api = [
    path("token", views.token, name="token"),
    path("revoke", views.revoke, name="revoke"),
    path("introspect", views.introspect, name="introspect"),
    path("userinfo", views.user_info, name="userinfo"),
]

_oidc = [
    path(".well-known/openid-configuration", views.configuration, name="configuration"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    path("identity/o/authorize", views.authorization, name="authorization"),
    path("identity/o/par", views.pushed_authorization, name="par"),
    path("identity/o/logout", views.logout, name="logout"),
    path("identity/o/api/", include(_api)),
]

urlpatterns = [path("", include((_oidc, "oidc")))]
