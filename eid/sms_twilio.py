"""Twilio's Programmable Messaging REST API (2010-04-01) as an SMS provider, with plain `requests`.

`SMS_BACKEND = "eid.sms_twilio.TwilioSMSProvider"`; the account and sender come from the settings
(`TWILIO_API_BASE`, `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, `TWILIO_FROM`), which read them from the
environment. One POST per message:

    POST {base}/2010-04-01/Accounts/{sid}/Messages.json   (HTTP Basic: account SID, auth token)
    To=+85291234567&From=...&Body=...&StatusCallback=...

Twilio answers 201 with the message resource (`sid`, `status`), or an error document
`{"code": 21211, "message": "...", "status": 400}`. Delivery receipts come back to StatusCallback,
signed with X-Twilio-Signature: base64(HMAC-SHA1(auth token, URL + each POST parameter's name and
value, sorted by name)).
"""

import base64
import hashlib
import hmac
import logging
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from eid.sms import SMSPermanentError, SMSStatus, SMSTemporaryError, TextMessage

logger = logging.getLogger("eid.sms")

# Connect, read (seconds): a stalled provider must not hold a worker for long.
TIMEOUT = (5, 15)
SIGNATURE_HEADER = "X-Twilio-Signature"
# Twilio's MessageStatus values → the notification's outcome; the others (accepted, queued,
# sending, sent) are on the way and change nothing.
OUTCOMES = {
    "delivered": "delivered",
    # The carrier could not deliver (phone off, out of coverage): Notify's "temporary-failure".
    "undelivered": "temporary-failure",
    "failed": "permanent-failure",
}


def _setting(name: str) -> str:
    value = getattr(settings, name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set to send SMS through Twilio.")
    return value


def twilio_signature(*, auth_token: str, url: str, params: dict[str, str]) -> str:
    data = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioSMSProvider:
    def send(self, message: TextMessage) -> str:
        sid = _setting("TWILIO_ACCOUNT_SID")
        base = _setting("TWILIO_API_BASE").rstrip("/")
        url = f"{base}/2010-04-01/Accounts/{quote(sid, safe='')}/Messages.json"
        form = {"To": message.to, "From": _setting("TWILIO_FROM"), "Body": message.body}
        if message.status_callback:
            form["StatusCallback"] = message.status_callback
        try:
            response = requests.post(
                url,
                data=form,
                auth=(sid, _setting("TWILIO_AUTH_TOKEN")),
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise SMSTemporaryError(f"Twilio unreachable: {type(exc).__name__}") from exc
        if response.status_code in (200, 201):
            try:
                return str(response.json()["sid"])
            except (ValueError, KeyError, TypeError) as exc:
                raise SMSTemporaryError("Twilio answered without a message sid") from exc
        raise self._error(response)

    @staticmethod
    def _error(response: requests.Response) -> Exception:
        try:
            document = response.json()
        except ValueError:
            document = {}
        if not isinstance(document, dict):
            document = {}
        detail = f"Twilio {response.status_code}"
        if document.get("code"):
            detail += f" (error {document['code']}): {str(document.get('message', ''))[:120]}"
        status = response.status_code
        # Rate limited, Twilio down, or the portal's own account refused (bad credentials, a
        # suspended account): none is the number's fault, so it may work later.
        if status == 429 or status >= 500 or status in (401, 403):
            if status in (401, 403):
                logger.error("Twilio refused the account credentials: %s", detail)
            return SMSTemporaryError(detail)
        # Any other 4xx is about the message itself: an invalid or unreachable number, a number
        # that replied STOP. Sending it again would be refused again.
        return SMSPermanentError(detail)

    def status_from_callback(
        self, *, url: str, params: dict[str, str], headers: dict[str, str]
    ) -> SMSStatus | None:
        """A verified status callback; None when its signature (or account) is not Twilio's."""
        signature = headers.get(SIGNATURE_HEADER, "")
        expected = twilio_signature(auth_token=_setting("TWILIO_AUTH_TOKEN"), url=url, params=params)
        if not signature or not hmac.compare_digest(signature.encode(), expected.encode()):
            return None
        if not hmac.compare_digest(
            params.get("AccountSid", "").encode(), _setting("TWILIO_ACCOUNT_SID").encode()
        ):
            return None
        reference = params.get("MessageSid") or params.get("SmsSid") or ""
        if not reference:
            return None
        twilio_status = params.get("MessageStatus") or params.get("SmsStatus") or ""
        reason = f"Twilio {twilio_status}"
        if params.get("ErrorCode"):
            reason += f" (error {params['ErrorCode']})"
        return SMSStatus(reference=reference, outcome=OUTCOMES.get(twilio_status, "pending"), reason=reason)
