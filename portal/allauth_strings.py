"""allauth and Django strings whose shipped Chinese translations leave English words in the page.

Listing them here keeps them in the portal's own catalogue (locale/), which takes precedence over the
apps' catalogues; makemessages would otherwise drop them as obsolete.
"""

from django.utils.translation import gettext_noop

OVERRIDDEN_MSGIDS = (
    gettext_noop("Sessions"),
    gettext_noop("An authenticator app is not active."),
    gettext_noop("Sign in with a passkey"),
    gettext_noop("Sign up using a passkey"),
    gettext_noop("Bad Token"),
    gettext_noop("The password reset token was invalid."),
    gettext_noop("Use authenticator app or code"),
    gettext_noop("A verification code has been sent to %(phone)s."),
    gettext_noop("Email"),
    gettext_noop("You are about to deactivate authenticator app based authentication. Are you sure?"),
    gettext_noop(
        "You are about to create a passkey for your account. As you can add additional keys later on, "
        "you can use a descriptive name to tell the keys apart."
    ),
)
