"""Opaque, pairwise subject identifiers (OIDC Core §8.1).

A partner's `sub` is HMAC(key, sector + public_id): stable for one sector, unlinkable across
sectors, and never the database key. The sector is the client's registered sector identifier
(departments that must recognise one another share one), else the host of its first redirect URI.
"""

import base64
import hashlib
import hmac
from urllib.parse import urlsplit

from allauth.idp.oidc.models import Client
from django.conf import settings
from django.db import IntegrityError, transaction

from eid.oidc.claims import primary_email_extras, remember_primary_email
from eid.oidc.models import PairwiseSubject
from eid.prepared import PreparedSelect
from eid.public import User


def client_sector(client: Client) -> str:
    data = client.data if isinstance(client.data, dict) else {}
    sector = data.get("sector_identifier")
    if isinstance(sector, str) and sector:
        return sector
    uris = client.get_redirect_uris()
    host = urlsplit(uris[0]).hostname if uris else None
    # A client without redirect URIs gets a sector of its own.
    return host or f"client:{client.pk}"


def pairwise_sub(*, sector: str, user: User) -> str:
    message = f"{sector}\x00{user.public_id}".encode()
    digest = hmac.new(f"oidc-pairwise:{settings.OIDC_PAIRWISE_KEY}".encode(), message, hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def subject_record(*, client: Client, user: User) -> str:
    """The resident's `sub` for this client, recorded so `subject_user` can find them again."""
    sector = client_sector(client)
    sub = pairwise_sub(sector=sector, user=user)
    if not PairwiseSubject.objects.filter(sector=sector, sub=sub).exists():
        try:
            with transaction.atomic():
                PairwiseSubject.objects.create(sector=sector, sub=sub, user=user)
        except IntegrityError:
            pass  # recorded meanwhile by a concurrent sign-in
    return sub


# The token endpoint's look-up of the resident behind a code, with their email (eid/prepared.py).
_SUBJECT_WITH_USER = PreparedSelect(
    PairwiseSubject,
    related=("user",),
    where="t0.{sector} = %s AND t0.{sub} = %s",  # unique together
    params=("sector", "sub"),
    extras=primary_email_extras(),
)


def subject_user(*, client: Client, sub: str) -> User | None:
    """The resident behind `sub`, with their primary email read in the same query (claims.py)."""
    record = _SUBJECT_WITH_USER.first(client_sector(client), sub)
    if record is None or record.user is None or not record.user.is_active:
        return None
    remember_primary_email(record.user, record)
    return record.user
