"""The device list (allauth.usersessions) without a query per stored session at every sign-in.

allauth's own receiver purges stale entries one session at a time (two or three queries each), so a
resident with many past sign-ins pays hundreds of queries per sign-in (measured: 407 after 128).
With the database session engine the same purge is two queries.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

DB_ENGINES = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}


def user_sessions_purge_stale(*, user: object) -> int:
    """Forget device-list entries whose Django session has ended; returns how many were removed."""
    from allauth.usersessions.models import UserSession

    if settings.SESSION_ENGINE not in DB_ENGINES:
        before = UserSession.objects.filter(user_id=user.pk).count()
        return before - len(UserSession.objects.purge_and_list(user))
    from django.contrib.sessions.models import Session

    keys = list(UserSession.objects.filter(user_id=user.pk).values_list("session_key", flat=True))
    alive = Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now())
    stale = UserSession.objects.filter(user_id=user.pk).exclude(session_key__in=alive.values("session_key"))
    removed, _ = stale.delete()
    return removed


def record_user_session(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """Replaces allauth.usersessions' sign-in receiver (see the module docstring)."""
    from allauth.usersessions.models import UserSession

    user_sessions_purge_stale(user=request.user)
    UserSession.objects.create_from_request(request)
