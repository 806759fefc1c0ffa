from oauth2_provider.oauth2_validators import OAuth2Validator


class BenchValidator(OAuth2Validator):
    """The demo user's profile and email claims, as the portal and node-oidc-provider give them."""

    def get_additional_claims(self, request):
        user = request.user
        return {
            "name": user.get_full_name(),
            "given_name": user.first_name,
            "family_name": user.last_name,
            "email": user.email,
            "email_verified": True,
        }
