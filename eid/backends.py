"""Password sign-in: one backend decides, so a password is hashed once whatever the outcome."""

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


class PasswordBackend(AuthenticationBackend):
    """allauth's backend (email or username, verified addresses first, a dummy hash for an unknown
    account), with the last word on a password.

    Django asks each backend in AUTHENTICATION_BACKENDS in turn until one returns a user. Behind this
    one, ModelBackend would hash a wrong password a second time (PBKDF2 at 1,000,000 iterations: a
    wrong guess cost the server twice a right one). PermissionDenied stops Django's loop; Django then
    sends `user_login_failed` exactly as when every backend returns None.
    """

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> AbstractBaseUser | None:
        user = super().authenticate(request, **credentials)
        if user is None and credentials.get("password"):
            raise PermissionDenied
        return user
