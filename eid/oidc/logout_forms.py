"""RP-initiated logout's form, reading `id_token_hint` in any algorithm the provider signs with."""

from allauth.idp.oidc.forms import RPInitiatedLogoutForm

from eid.oidc.id_tokens import id_token_hint_claims


class LogoutForm(RPInitiatedLogoutForm):
    def clean_id_token_hint(self) -> dict | None:
        # An expired ID token still identifies the session to end (OIDC RP-Initiated Logout §2).
        return id_token_hint_claims(self.cleaned_data["id_token_hint"], verify_exp=False)
