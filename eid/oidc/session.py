"""What this sign-in proved, as OIDC reports it: `acr`, `amr`, `auth_time`, and `acr_values`."""

import time
from typing import TypedDict

from allauth.account.authentication import get_authentication_records
from django.http import HttpRequest

from eid.public import (
    STRONG_AUTHENTICATION_METHODS,
    AssuranceLevel,
    authentication_methods,
    session_assurance_level,
)


class SessionAuthentication(TypedDict):
    acr: str
    amr: list[str]
    auth_time: int


def session_authentication(request: HttpRequest) -> SessionAuthentication | None:
    """The signed-in resident's session as OIDC claims; None for an anonymous visitor."""
    level = session_assurance_level(request)
    if level is None:
        return None
    records = get_authentication_records(request, request.user)
    # The latest step (a step-up re-authenticates) is when the resident last proved who they are;
    # above LOW, the latest second factor: a later password alone does not prove that level again.
    if level > AssuranceLevel.LOW:
        records = [record for record in records if record.get("method") in STRONG_AUTHENTICATION_METHODS]
    times = [float(record["at"]) for record in records if record.get("at")]
    last_login = request.user.last_login
    if not times and last_login is not None:
        times = [last_login.timestamp()]  # a session older than allauth's records
    return {
        "acr": level.acr,
        "amr": authentication_methods(request) or ["pwd"],
        "auth_time": int(max(times)) if times else int(time.time()),
    }


def required_level(acr_values: str | None) -> AssuranceLevel | None:
    """The level an `acr_values` request needs: the lowest listed level we know, else None.

    `acr_values` lists acceptable values in order of preference, so any one of them satisfies it.
    """
    levels = [AssuranceLevel.from_acr(value) for value in (acr_values or "").split()]
    known = [level for level in levels if level is not None]
    return min(known) if known else None
