"""The assurance level of an account and of a session.

A session's level is the lower of the account's proofing and what the sign-in proved: a password
alone proves LOW; a second factor or a passkey lets the session reach the account's level.
"""

from django.http import HttpRequest

from eid.constants import AssuranceLevel

# allauth records each authentication step in the session; these methods count as a second factor.
STRONG_AUTHENTICATION_METHODS = frozenset({"mfa"})


def authentication_methods(request: HttpRequest, user: object | None = None) -> list[str]:
    """The `amr`-style methods used in this session, e.g. ["pwd"], ["pwd", "otp"], ["hwk"]."""
    from allauth.account.authentication import get_authentication_records

    methods: list[str] = []
    for record in get_authentication_records(request, user or getattr(request, "user", None)):
        method = record.get("method")
        if method == "password":
            methods.append("pwd")
        elif method == "mfa":
            kind = record.get("type")
            methods.append({"totp": "otp", "recovery_codes": "otp", "webauthn": "hwk"}.get(kind, "mfa"))
        elif method:
            methods.append(str(method))
    return list(dict.fromkeys(methods))


def session_assurance_level(request: HttpRequest) -> AssuranceLevel | None:
    """None for an anonymous visitor; otherwise min(account level, level proved by this sign-in)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    from allauth.account.authentication import get_authentication_records

    records = get_authentication_records(request, user)
    strong = any(record.get("method") in STRONG_AUTHENTICATION_METHODS for record in records)
    proved = AssuranceLevel.HIGH if strong else AssuranceLevel.LOW
    return AssuranceLevel(min(int(user.assurance_level), int(proved)))
