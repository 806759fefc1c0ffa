"""allauth adapters: where the portal's rules meet allauth's account and MFA flows."""

import base64
import hashlib
import re
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet, InvalidToken
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from eid.audit.chain import audit_log
from eid.constants import AssuranceLevel
from eid.models import User, mobile_validator
from eid.sms import sms_send

SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": _(
            "Too many failed sign-in attempts. For your security this account is locked: "
            "try again in %(minutes)s minutes, or reset your password."
        ),
    }

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """The account alone keys the lock-out (LOGIN_LOCKOUT_SECONDS).

        allauth prefixes the Host header as sent (`127.0.0.1:8001`, `LOCALHOST`, `localhost.` all
        pass ALLOWED_HOSTS), so each spelling of the host gave five more guesses at one account.
        The portal is one site: nothing to tell apart. Also used to clear it after a password reset.
        """
        login = credentials.get("email", credentials.get("username", ""))
        return f"account:{str(login).strip().lower()}"

    def validation_error(self, code: str, *args: object) -> ValidationError:
        if code == "too_many_login_attempts":
            minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
            return ValidationError(self.error_messages[code] % {"minutes": minutes}, code=code)
        return super().validation_error(code, *args)

    # Mobile numbers: stored on the resident, verified by a code sent by SMS.
    def phone_form_field(self, **kwargs: Any) -> forms.Field:
        return HongKongMobileField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return normalise_mobile(phone)

    def set_phone(self, user: User, phone: str, verified: bool) -> None:
        user.mobile_number = phone
        user.mobile_verified = verified
        user.save(update_fields=["mobile_number", "mobile_verified"])

    def get_phone(self, user: User) -> tuple[str, bool] | None:
        return (user.mobile_number, user.mobile_verified) if user.mobile_number else None

    def set_phone_verified(self, user: User, phone: str) -> None:
        # Called when the code proved possession; after a change the number is not stored yet.
        user.mobile_number = phone
        user.mobile_verified = True
        user.save(update_fields=["mobile_number", "mobile_verified"])
        audit_log(
            event_type="account.mobile_verified",
            actor=user,
            subject=user,
            data={"mobile": phone[:-4] + "****"},
        )

    def get_user_by_phone(self, phone: str) -> User | None:
        return User.objects.filter(mobile_number=phone, mobile_verified=True).order_by("pk").first()

    def send_verification_code_sms(self, user: User, phone: str, code: str, **kwargs: Any) -> None:
        sms_send(
            to=phone,
            body=gettext("Your eID verification code is %(code)s. Never share it with anyone.")
            % {"code": code},
        )


def normalise_mobile(raw: str) -> str:
    """`9123 4567` or `+852 9123-4567` → `+85291234567`; raises ValidationError otherwise."""
    compact = re.sub(r"[\s()-]", "", raw or "")[:20]
    if compact and not compact.startswith("+"):
        compact = f"+852{compact}"
    mobile_validator(compact)
    return compact


class HongKongMobileField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", _("A Hong Kong mobile number, e.g. 9123 4567."))
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
        super().__init__(**kwargs)

    def to_python(self, value: object) -> str:
        value = super().to_python(value)
        return normalise_mobile(value) if value else value


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"mfa-secrets:{settings.MFA_ENCRYPTION_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        """TOTP secrets are stored encrypted (Fernet), never in clear."""
        return _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        try:
            return _fernet().decrypt(encrypted_text.encode()).decode()
        except InvalidToken:
            # Written before encryption was on, or under another key: unusable either way.
            return ""

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """A resident proofed to SUBSTANTIAL or above keeps at least one second factor."""
        user = authenticator.user
        if user.assurance_level < AssuranceLevel.SUBSTANTIAL:
            return True
        if authenticator.type not in SECOND_FACTOR_TYPES:
            return True
        others = Authenticator.objects.filter(user=user, type__in=SECOND_FACTOR_TYPES).exclude(
            pk=authenticator.pk
        )
        return others.exists()

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        entity = super().get_public_key_credential_rp_entity()
        entity["name"] = gettext("eID Portal")
        return entity
