"""Consent page helpers: the page says plainly when a client receives the full HKID number."""

from allauth.idp.oidc.models import Client
from django import template

from eid.oidc.claims import HkidReleaseBasis, hkid_release_basis

register = template.Library()


@register.simple_tag
def full_hkid_basis(client: Client | None) -> HkidReleaseBasis | None:
    """The basis on which this client would receive the full HKID (None: it gets the mask)."""
    return hkid_release_basis(client)
