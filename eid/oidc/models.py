"""Pairwise subject identifiers handed to relying parties."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PairwiseSubject(models.Model):
    """A `sub` given out in one sector, kept so the provider can map it back to the resident.

    The value is an HMAC and cannot be reversed; allauth looks residents up by `sub` (code exchange,
    `id_token_hint`), so the first time a resident signs in to a sector the pair is recorded.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sector = models.CharField(_("sector identifier"), max_length=255)
    sub = models.CharField(_("subject identifier"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pairwise subject")
        verbose_name_plural = _("pairwise subjects")
        constraints = [
            models.UniqueConstraint(fields=["sector", "sub"], name="eid_oidc_unique_sector_sub"),
            models.UniqueConstraint(fields=["sector", "user"], name="eid_oidc_unique_sector_user"),
        ]

    def __str__(self) -> str:
        return f"{self.sector}: {self.sub}"
