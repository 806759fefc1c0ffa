import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import time, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from eid.public import LANGUAGE_CODES, ApplicationError, Department, District, User, audit_log
from services.notifications import channels as delivery
from services.notifications import rendering
from services.notifications.models import (
    AREA_TOPICS,
    ApiKey,
    Broadcast,
    Channel,
    DistrictSubscription,
    Message,
    Notification,
    NotificationTemplate,
    OptOut,
    QuietHours,
    Status,
    TemplateVersion,
)
from services.notifications.selectors import is_opted_out, quiet_hours_end, quiet_hours_for

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
BROADCAST_BATCH_SIZE = 500
HK_MOBILE = re.compile(r"\A\+852[4-9][0-9]{7}\Z")


# The inbox (the in-portal channel) ----------------------------------------------------------------


@transaction.atomic
def message_deliver(
    *,
    recipient: User,
    department: Department | None,
    subject: str,
    body: str,
    notification_type: str = "message",
) -> Message:
    """Put a message in a resident's inbox (the in-portal channel)."""
    return Message.objects.create(
        recipient=recipient,
        department=department,
        subject=subject[:200],
        body=body,
        notification_type=notification_type,
    )


def message_mark_read(*, message: Message) -> Message:
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message


def message_mark_unread(*, message: Message) -> Message:
    if message.read_at is not None:
        message.read_at = None
        message.save(update_fields=["read_at"])
    return message


def inbox_mark_all_read(*, citizen: User) -> int:
    return Message.objects.filter(recipient=citizen, read_at__isnull=True).update(read_at=timezone.now())


# Templates ---------------------------------------------------------------------------------------

Content = dict[str, tuple[str, str]]


@transaction.atomic
def template_create(
    *,
    department: Department,
    notification_type: str,
    content: Content,
    topic: str = "general",
    legally_required: bool = False,
    live_only: bool = False,
) -> NotificationTemplate:
    rendering.content_validate(content)
    template = NotificationTemplate.objects.create(
        department=department,
        notification_type=notification_type,
        topic=topic,
        legally_required=legally_required,
        live_only=live_only,
    )
    template_update(template=template, content=content)
    template.refresh_from_db()
    return template


@transaction.atomic
def template_update(*, template: NotificationTemplate, content: Content) -> TemplateVersion:
    """Every edit is a new version; messages already sent keep pointing at the one they used."""
    rendering.content_validate(content)
    # The row lock serialises two concurrent edits so they get distinct version numbers.
    locked = NotificationTemplate.objects.select_for_update().get(pk=template.pk)
    version = TemplateVersion.objects.create(
        template=locked,
        version=locked.current_version + 1,
        **{
            f"{field}_{language.replace('-', '_')}": text
            for language, (subject, body) in content.items()
            for field, text in (("subject", subject), ("body", body))
        },
    )
    NotificationTemplate.objects.filter(pk=locked.pk).update(current_version=version.version)
    template.current_version = version.version
    return version


def _current_version(template: NotificationTemplate) -> TemplateVersion:
    return TemplateVersion.objects.select_related("template").get(
        template=template, version=template.current_version
    )


def _version_placeholders(version: TemplateVersion) -> set[str]:
    return rendering.content_placeholders({language: version.text(language) for language in LANGUAGE_CODES})


# Sending -----------------------------------------------------------------------------------------


def normalise_phone(value: str) -> str:
    """`9123 4567`, `+852 9123-4567` → `+85291234567`; anything but a Hong Kong mobile is refused."""
    digits = re.sub(r"[\s\-()]", "", value)
    if re.fullmatch(r"[0-9]{8}", digits):
        digits = "+852" + digits
    elif digits.startswith("852"):
        digits = "+" + digits
    if not HK_MOBILE.match(digits):
        raise ApplicationError(
            _("Enter a Hong Kong mobile number like +852 9123 4567."), code="invalid_phone_number"
        )
    return digits


def normalise_email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ApplicationError(_("Enter a valid email address."), code="invalid_email_address") from exc
    return value.strip().lower()


def _render(
    version: TemplateVersion, language: str, personalisation: dict[str, object], channel: str
) -> tuple[str, str]:
    subject, body = (rendering.render(text, personalisation) for text in version.text(language))
    # One line: an email header cannot hold a line break (Django refuses it, so the email would
    # fail on every retry), and a value's line breaks are the sender's, not the template's.
    subject = " ".join(subject.split())
    if version.template.legally_required:
        with translation.override(language):
            body += "\n\n" + _(
                "This is a legally required notice. It is sent to you even if you have opted out of "
                "these messages."
            )
    if len(subject) > rendering.MAX_SUBJECT_CHARS:
        raise ApplicationError(_("The subject is too long."), code="too_long")
    limit = rendering.MAX_SMS_CHARS if channel == Channel.SMS else rendering.MAX_BODY_CHARS
    if len(body) > limit:
        raise ApplicationError(
            _("The message is too long: %(length)s characters, at most %(limit)s.")
            % {"length": len(body), "limit": limit},
            code="too_long",
        )
    return subject, body


def unsubscribe_token(*, channel: str, topic: str, user: User | None = None, address: str = "") -> str:
    """Deterministic (no timestamp: the link never expires), so the link in the body, made when the
    row is created, and the List-Unsubscribe header, made at delivery, are the same URL."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(
        {"u": str(user.public_id) if user else "", "a": address, "c": channel, "t": topic}, compress=True
    )


def unsubscribe_url(*, language: str, **token_fields: object) -> str:
    with translation.override(language):
        path = reverse("notifications_public:unsubscribe", args=[unsubscribe_token(**token_fields)])
    return settings.SITE_URL + path


def _email_unsubscribe_url(*, language: str, topic: str, user: User | None, address: str) -> str:
    # A resident's link names the account (every address of theirs); a bare address names itself.
    return unsubscribe_url(
        language=language, channel=Channel.EMAIL, topic=topic, user=user, address="" if user else address
    )


def _email_footer(*, language: str, topic: str, user: User | None, address: str) -> str:
    url = _email_unsubscribe_url(language=language, topic=topic, user=user, address=address)
    with translation.override(language):
        return "\n\n--\n" + _("To stop these emails: %(url)s") % {"url": url}


def _recipient_channels(recipient: User | str, channels: Sequence[str] | None) -> dict[str, str]:
    """Channel → address ('' for the inbox). Validates addresses; nothing is created yet."""
    if isinstance(recipient, User):
        available = {Channel.INBOX: "", Channel.EMAIL: recipient.email, Channel.SMS: recipient.mobile_number}
        if channels is None:
            return {
                channel: address for channel, address in available.items() if channel == "inbox" or address
            }
        unknown = [channel for channel in channels if channel not in available]
        if unknown:
            raise ApplicationError(
                _("Unknown channel: %(channel)s.") % {"channel": ", ".join(unknown)}, code="invalid_channel"
            )
        return {channel: available[channel] for channel in channels}
    if "@" in recipient:
        return {Channel.EMAIL: normalise_email(recipient)}
    return {Channel.SMS: normalise_phone(recipient)}


def notification_send(
    *,
    template: NotificationTemplate,
    recipient: User | str,
    personalisation: dict[str, object],
    reference: str | None = None,
    idempotency_key: str | None = None,
    channels: Sequence[str] | None = None,
    language: str | None = None,
    is_test: bool = False,
    api_key: ApiKey | None = None,
) -> list[Notification]:
    """Validate, then create one Notification per channel and deliver each on Celery after commit.

    `recipient` is a resident (every channel they can receive, or `channels`) or a bare email
    address or Hong Kong mobile number. The sender is the template's department: an idempotency
    key is unique per department, and a retried call returns the notifications it created first.
    """
    department = template.department
    _refuse_test_key_on_live_template(template, is_test=is_test)
    if idempotency_key:
        existing = _existing(department, idempotency_key)
        if existing:
            return existing
    version = _current_version(template)
    rendering.personalisation_validate(_version_placeholders(version), personalisation)
    user = recipient if isinstance(recipient, User) else None
    if user is not None:
        language = user.preferred_language
    language = language if language in LANGUAGE_CODES else "en"
    addresses = _recipient_channels(recipient, channels)
    try:
        with transaction.atomic():
            notifications = [
                _notification_create(
                    version=version,
                    user=user,
                    channel=channel,
                    address=address,
                    language=language,
                    personalisation=personalisation,
                    reference=reference or "",
                    idempotency_key=idempotency_key or "",
                    is_test=is_test,
                    api_key=api_key,
                )
                for channel, address in addresses.items()
            ]
    except IntegrityError:
        # A concurrent call with the same key won the race: answer with what it created.
        existing = _existing(department, idempotency_key or "")
        if not existing:
            raise
        return existing
    # The same order as a retried call's answer (by channel), so a client may match them up.
    return sorted(notifications, key=lambda notification: notification.channel)


def _refuse_test_key_on_live_template(template: NotificationTemplate, *, is_test: bool) -> None:
    """A live template (legally required, or marked live-only) is never exercised by a test key: a
    test key "delivers" without reaching anyone, which a legal notice must never appear to do."""
    if is_test and template.is_live:
        raise ApplicationError(
            _("This template can only be sent with a live API key, not a test key."),
            code="live_template",
        )


def _existing(department: Department, idempotency_key: str) -> list[Notification]:
    return list(
        Notification.objects.filter(department=department, idempotency_key=idempotency_key).order_by(
            "channel"
        )
    )


def _notification_create(
    *,
    version: TemplateVersion,
    user: User | None,
    channel: str,
    address: str,
    language: str,
    personalisation: dict[str, object],
    reference: str = "",
    idempotency_key: str = "",
    is_test: bool = False,
    broadcast: Broadcast | None = None,
    api_key: ApiKey | None = None,
) -> Notification:
    from services.notifications.tasks import notification_deliver_task

    template = version.template
    subject, body = _render(version, language, personalisation, channel)
    if channel == Channel.EMAIL:
        body += _email_footer(language=language, topic=template.topic, user=user, address=address)
    opted_out = not template.legally_required and is_opted_out(
        user=user, address=address, channel=channel, topic=template.topic
    )
    # Email and SMS wait for the end of the resident's quiet hours; legally required notices do not.
    scheduled_for = None
    if user is not None and channel != Channel.INBOX and not template.legally_required and not opted_out:
        scheduled_for = quiet_hours_end(quiet_hours=quiet_hours_for(citizen=user), at=timezone.now())
    notification = Notification.objects.create(
        department_id=template.department_id,
        template_version=version,
        recipient=user,
        to=address,
        channel=channel,
        language=language,
        status=Status.OPTED_OUT if opted_out else Status.CREATED,
        completed_at=timezone.now() if opted_out else None,
        reference=reference,
        idempotency_key=idempotency_key,
        subject=subject,
        body=body,
        is_test=is_test,
        broadcast=broadcast,
        api_key=api_key,
        scheduled_for=scheduled_for,
    )
    if scheduled_for is not None:
        # Held: the sweeper (every minute) releases it when due; the ETA task is the fast path.
        transaction.on_commit(
            lambda: notification_deliver_task.apply_async(args=[str(notification.pk)], eta=scheduled_for)
        )
    elif not opted_out and broadcast is None:
        notification_deliver_task.delay_on_commit(str(notification.pk))
    return notification


CLAIMABLE = (Status.CREATED, Status.TEMPORARY_FAILURE)
# The first try and five retries (tasks.MAX_RETRIES).
MAX_ATTEMPTS = 6


def notification_deliver(*, notification_id: str) -> str:
    """Deliver once: a conditional UPDATE claims the row, so a second run (a duplicate task, a
    redelivered message) finds it no longer claimable and sends nothing."""
    notification = (
        Notification.objects.select_related(
            "template_version__template", "recipient", "department", "api_key"
        )
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        # A task for a row that is gone (its resident erased, a rolled-back test): nothing to do.
        logger.warning("Notification %s no longer exists", notification_id)
        return ""
    # The inbox (and a test key) deliver inside the database: claim, message and status commit
    # together, so a worker killed midway leaves the row claimable again: exactly once.
    in_database = notification.channel == Channel.INBOX or notification.is_test
    if notification.scheduled_for is not None and notification.scheduled_for > timezone.now():
        # Inside the resident's quiet hours: not yet (an early ETA task, an eager run, a broadcast).
        return notification.status
    try:
        with transaction.atomic():
            if not _claim(notification_id):
                return Notification.objects.values_list("status", flat=True).get(pk=notification_id)
            if in_database:
                # A test key goes through the whole lifecycle but reaches no one.
                message = None if notification.is_test else delivery.deliver(notification).message
                return _finish(notification, Status.DELIVERED, message=message)
        # Email and SMS leave the database: the claim commits first, so a run after a crash never
        # sends again (at most once; a row left in "sending" needs an operator or a sweeper).
        delivered = delivery.deliver(notification, unsubscribe_url=_unsubscribe_url_for(notification))
        if delivered.provider_reference:
            # The provider took it and will report the handset's receipt (sms_status_record).
            Notification.objects.filter(pk=notification.pk).update(
                provider_reference=delivered.provider_reference[:64]
            )
            return Status.SENDING
        return _finish(notification, Status.DELIVERED)
    except delivery.PermanentDeliveryError as exc:
        return _fail(notification, Status.PERMANENT_FAILURE, str(exc), count_attempt=in_database)
    except delivery.TemporaryDeliveryError as exc:
        return _fail(notification, Status.TEMPORARY_FAILURE, str(exc), count_attempt=in_database)
    except Exception as exc:
        logger.exception("Unexpected error delivering notification %s", notification_id)
        return _fail(notification, Status.TEMPORARY_FAILURE, type(exc).__name__, count_attempt=in_database)


def _claim(notification_id: str) -> bool:
    return bool(
        Notification.objects.filter(pk=notification_id, status__in=CLAIMABLE).update(
            status=Status.SENDING, attempts=F("attempts") + 1, sent_at=timezone.now()
        )
    )


def _fail(notification: Notification, status: str, reason: str, *, count_attempt: bool) -> str:
    # An in-database delivery's claim was rolled back with it, so its attempt is counted here.
    changed = Notification.objects.filter(pk=notification.pk, status__in=(*CLAIMABLE, Status.SENDING)).update(
        status=status,
        failure_reason=reason[:200],
        completed_at=timezone.now(),
        attempts=F("attempts") + 1 if count_attempt else F("attempts"),
    )
    if changed:
        _callback_schedule(notification, status)
    return status


def _callback_schedule(notification: Notification, status: str) -> None:
    """Tell the sending system (its key's callback URL) once the status has committed."""
    from services.notifications.tasks import callback_task

    if notification.api_key_id is not None and notification.api_key.callback_url:
        callback_task.delay_on_commit(str(notification.pk), status)


def notifications_sweep(*, stuck_after_minutes: int) -> dict[str, list[str]]:
    """Returns the ids to (re)deliver: held notifications now due, and stuck email and SMS.

    Stuck: a row in "sending" longer than `stuck_after_minutes` means a worker died between claiming
    it and recording the provider's answer. It is marked temporary-failure and retried, so it is
    delivered AT LEAST once: if the provider did accept it before the crash, the resident gets it
    twice. Leaving it in "sending" would be at most once, and a lost message is worse for notices
    than a duplicate. The inbox never sticks: its claim and message commit together.
    """
    now = timezone.now()
    due = list(
        Notification.objects.filter(status=Status.CREATED, scheduled_for__lte=now).values_list(
            "pk", flat=True
        )
    )
    stuck_before = now - timedelta(minutes=stuck_after_minutes)
    stuck = list(
        Notification.objects.filter(
            status=Status.SENDING, channel__in=(Channel.EMAIL, Channel.SMS), sent_at__lt=stuck_before
        )
        # One with a provider reference was accepted and awaits its receipt: never sent again.
        .filter(provider_reference="")
        .values_list("pk", flat=True)
    )
    reset = []
    for notification_id in stuck:
        # Conditional, like the claim: a worker that finishes meanwhile wins, and nothing is reset.
        still_stuck = Notification.objects.filter(
            pk=notification_id, status=Status.SENDING, sent_at__lt=stuck_before
        )
        # After as many attempts as the retries allow, it stops: a permanent failure, not a loop.
        if still_stuck.filter(attempts__gt=MAX_ATTEMPTS - 1).update(
            status=Status.PERMANENT_FAILURE, failure_reason="stuck in sending", completed_at=now
        ):
            continue
        if still_stuck.update(
            status=Status.TEMPORARY_FAILURE, failure_reason="stuck in sending (worker lost)"
        ):
            reset.append(notification_id)
            logger.warning("Notification %s was stuck in sending; retrying", notification_id)
    return {"due": [str(pk) for pk in due], "stuck": [str(pk) for pk in reset]}


def sms_status_record(*, provider_reference: str, outcome: str, reason: str = "") -> str | None:
    """A provider's delivery receipt moves the SMS from "sending" to its final status, once (a
    repeated or late receipt changes nothing); returns the status, or None for an unknown message."""
    notification = (
        Notification.objects.select_related("api_key", "template_version__template")
        .filter(provider_reference=provider_reference, channel=Channel.SMS)
        .first()
    )
    if notification is None:
        return None
    if outcome not in (Status.DELIVERED, Status.PERMANENT_FAILURE, Status.TEMPORARY_FAILURE):
        return notification.status
    changed = Notification.objects.filter(pk=notification.pk, status=Status.SENDING).update(
        status=outcome,
        failure_reason="" if outcome == Status.DELIVERED else reason[:200],
        completed_at=timezone.now(),
    )
    if changed:
        _callback_schedule(notification, outcome)
        return outcome
    return Notification.objects.values_list("status", flat=True).get(pk=notification.pk)


def _unsubscribe_url_for(notification: Notification) -> str:
    if notification.channel != Channel.EMAIL:
        return ""
    return _email_unsubscribe_url(
        language=notification.language,
        topic=notification.template_version.template.topic,
        user=notification.recipient,
        address=notification.to,
    )


def _finish(
    notification: Notification, status: str, *, reason: str = "", message: Message | None = None
) -> str:
    Notification.objects.filter(pk=notification.pk).update(
        status=status, failure_reason=reason[:200], message=message, completed_at=timezone.now()
    )
    _callback_schedule(notification, status)
    return status


# API keys ----------------------------------------------------------------------------------------


def api_key_hash(key: str) -> str:
    """A keyed SHA-256: keys are long random strings, so a slow password hash buys nothing."""
    secret = getattr(settings, "NOTIFICATIONS_API_KEY_HASH_KEY", "") or settings.SECRET_KEY
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


def api_key_create(*, department: Department, name: str, key_type: str) -> tuple[ApiKey, str]:
    """Returns the key itself once; only its hash is stored."""
    if key_type not in ApiKey.KeyType.values:
        raise ApplicationError(_("Unknown key type."), code="invalid")
    key = f"{key_type}-{department.code}-{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        department=department, name=name, key_type=key_type, prefix=key[:20], key_hash=api_key_hash(key)
    )
    return api_key, key


def api_key_for_client(*, department: Department, client_id: str, sandbox: bool) -> ApiKey:
    """The key a department system registered as an OIDC client sends as: live, or test for a
    sandbox client; made on its first request, and following the client's registration after.
    Its hash is of a random string nobody holds, so it works only through the client's tokens."""
    key_type = ApiKey.KeyType.TEST if sandbox else ApiKey.KeyType.LIVE
    api_key = ApiKey.objects.select_related("department").filter(oidc_client_id=client_id).first()
    if api_key is None:
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    department=department,
                    name=f"OIDC client {client_id}"[:100],
                    key_type=key_type,
                    prefix=f"oidc-{client_id}"[:24],
                    key_hash=api_key_hash(secrets.token_urlsafe(32)),
                    oidc_client_id=client_id,
                )
                audit_log(
                    event_type="notifications.api_client_linked",
                    data={"client_id": client_id, "department": department.code, "key_type": key_type},
                )
        except IntegrityError:  # a concurrent first request made it
            api_key = ApiKey.objects.select_related("department").get(oidc_client_id=client_id)
    if (api_key.department_id, api_key.key_type) != (department.pk, key_type):
        api_key.department, api_key.key_type = department, key_type
        api_key.save(update_fields=["department", "key_type"])
    return api_key


# Preferences and unsubscribing -------------------------------------------------------------------


@transaction.atomic
def preferences_update(
    *,
    citizen: User,
    opted_out: Iterable[tuple[str, str]],
    districts: Iterable[str],
    area_topics: Iterable[str],
) -> None:
    """Replace the resident's opt-outs (channel, topic) and district subscriptions (each district
    with each topic)."""
    OptOut.objects.filter(user=citizen).delete()
    OptOut.objects.bulk_create(
        OptOut(user=citizen, channel=channel, topic=topic) for channel, topic in set(opted_out)
    )
    DistrictSubscription.objects.filter(user=citizen).delete()
    DistrictSubscription.objects.bulk_create(
        DistrictSubscription(user=citizen, district=district, topic=topic)
        for district in set(districts)
        for topic in set(area_topics)
    )


def quiet_hours_set(*, citizen: User, start: time | None, end: time | None) -> QuietHours | None:
    """Email and SMS wait for the end of these hours (local time); None, or start == end, clears them."""
    if start is None or end is None or start == end:
        QuietHours.objects.filter(user=citizen).delete()
        return None
    quiet_hours, _created = QuietHours.objects.update_or_create(
        user=citizen, defaults={"start": start, "end": end}
    )
    return quiet_hours


def preferred_language_set(*, citizen: User, language: str) -> None:
    """The language of every notification from now on (each is rendered when it is sent)."""
    if language not in LANGUAGE_CODES:
        raise ApplicationError(_("Unknown language."), code="invalid_language")
    if citizen.preferred_language != language:
        citizen.preferred_language = language
        citizen.save(update_fields=["preferred_language"])


def unsubscribe_read(*, token: str) -> dict[str, str]:
    """The signed fields of an unsubscribe link; a tampered link is an ApplicationError."""
    try:
        return signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        # An older link's "value:timestamp" verifies here too but is no base64: read it below.
        pass
    try:
        # Links sent before the tokens lost their timestamp.
        return signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise ApplicationError(_("This unsubscribe link is not valid."), code="bad_token") from exc


def unsubscribe_apply(*, token: str) -> dict[str, str]:
    fields = unsubscribe_read(token=token)
    user = User.objects.filter(public_id=fields["u"]).first() if fields["u"] else None
    if user is not None:
        OptOut.objects.get_or_create(user=user, channel=fields["c"], topic=fields["t"])
    elif fields["a"]:
        OptOut.objects.get_or_create(user=None, address=fields["a"], channel=fields["c"], topic=fields["t"])
    return fields


# Location-based broadcasts -----------------------------------------------------------------------


def broadcast_publish(
    *,
    template: NotificationTemplate,
    district: str,
    personalisation: dict[str, object] | None = None,
    channels: Sequence[str] = (Channel.INBOX,),
    is_test: bool = False,
) -> Broadcast:
    """Validate and record the notice; the fan-out to subscribers runs on Celery after commit."""
    from services.notifications.tasks import broadcast_fan_out_task

    personalisation = personalisation or {}
    _refuse_test_key_on_live_template(template, is_test=is_test)
    if district not in District.values:
        raise ApplicationError(
            _("Unknown district: %(district)s.") % {"district": district}, code="invalid_district"
        )
    if template.topic not in AREA_TOPICS:
        raise ApplicationError(
            _("Only road works, closures and weather templates can be broadcast to a district."),
            code="invalid_topic",
        )
    unknown = [channel for channel in channels if channel not in Channel.values]
    if unknown or not channels:
        raise ApplicationError(_("Unknown channel: %(channel)s.") % {"channel": ", ".join(unknown)})
    version = _current_version(template)
    rendering.personalisation_validate(_version_placeholders(version), personalisation)
    for language in LANGUAGE_CODES:
        for channel in channels:
            _render(version, language, personalisation, channel)
    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            department_id=template.department_id,
            template_version=version,
            district=district,
            channels=list(dict.fromkeys(channels)),
            personalisation=personalisation,
            is_test=is_test,
        )
        broadcast_fan_out_task.delay_on_commit(str(broadcast.public_id))
    return broadcast


def broadcast_fan_out(*, broadcast_id: str, batch_size: int = BROADCAST_BATCH_SIZE) -> list[list[int]]:
    """Count the subscribers and split them into batches; returns the batches to schedule."""
    broadcast = Broadcast.objects.select_related("template_version__template").get(public_id=broadcast_id)
    user_ids = list(
        DistrictSubscription.objects.filter(
            district=broadcast.district, topic=broadcast.template_version.template.topic
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    Broadcast.objects.filter(pk=broadcast.pk).update(total=len(user_ids) * len(broadcast.channels))
    return [user_ids[start : start + batch_size] for start in range(0, len(user_ids), batch_size)]


def broadcast_deliver_batch(*, broadcast_id: str, user_ids: list[int]) -> dict[str, int]:
    """Create (or find again) the batch's notifications and deliver them, in a fixed number of
    queries however many recipients: the rows in one bulk insert, the inbox messages in one
    transaction (claim, messages and statuses commit together), preferences read once per batch.

    Running a batch twice (a worker killed mid-batch) finds the rows it made and delivers only what
    was never claimed. A recipient whose row cannot be built is counted failed and the rest go on;
    if a bulk step itself fails, the batch falls back to one recipient at a time. Email and SMS
    leave the database one row at a time, each claimed first, as for any notification.
    """
    broadcast = Broadcast.objects.select_related("template_version__template").get(public_id=broadcast_id)
    outcome = {"delivered": 0, "failed": 0, "skipped": 0}
    try:
        rows, unbuildable = _broadcast_rows(broadcast, user_ids)
    except Exception:
        logger.exception("Broadcast %s: the batch's rows could not be made in bulk; one by one", broadcast_id)
        return _broadcast_deliver_one_by_one(broadcast, user_ids)
    outcome["failed"] += unbuildable
    now = timezone.now()
    due = [
        row
        for row in rows
        if row.status in CLAIMABLE and (row.scheduled_for is None or row.scheduled_for <= now)
    ]
    statuses = {row.pk: row.status for row in rows}
    in_database = [row for row in due if row.channel == Channel.INBOX or row.is_test]
    if in_database:
        try:
            statuses.update(_broadcast_deliver_in_database(broadcast, in_database))
        except Exception:
            logger.exception("Broadcast %s: the inbox batch failed; delivering one by one", broadcast_id)
            for row in in_database:
                statuses[row.pk] = _deliver_isolated(row)
    for row in due:
        if not (row.channel == Channel.INBOX or row.is_test):
            statuses[row.pk] = _deliver_isolated(row)
    for status in statuses.values():
        _count(outcome, status)
    return outcome


def _count(outcome: dict[str, int], status: str) -> None:
    if status == Status.DELIVERED:
        outcome["delivered"] += 1
    elif status in (Status.PERMANENT_FAILURE, Status.TEMPORARY_FAILURE):
        outcome["failed"] += 1
    else:  # opted out, held for quiet hours, or in flight elsewhere
        outcome["skipped"] += 1


def _deliver_isolated(row: Notification) -> str:
    try:
        return notification_deliver(notification_id=str(row.pk))
    except Exception:
        logger.exception("Broadcast delivery of %s failed", row.pk)
        return Status.PERMANENT_FAILURE


_ROW_FIELDS = ("pk", "recipient_id", "channel", "status", "scheduled_for", "is_test")


def _broadcast_rows(broadcast: Broadcast, user_ids: list[int]) -> tuple[list[Notification], int]:
    """The batch's rows: those a previous run made, and the missing ones made in one bulk insert.
    Returns them and how many recipients' rows could not be built."""
    version = broadcast.template_version
    template = version.template
    rows = Notification.objects.filter(broadcast=broadcast, recipient_id__in=user_ids).only(*_ROW_FIELDS)
    existing = {(row.recipient_id, row.channel): row for row in rows}
    if len(existing) == len(user_ids) * len(broadcast.channels):
        return list(existing.values()), 0  # a rerun of a batch that was fully made
    users = list(
        User.objects.filter(pk__in=user_ids)
        .order_by("pk")
        .only("pk", "public_id", "email", "mobile_number", "preferred_language")
    )
    missing = [
        (user, channel)
        for user in users
        for channel in broadcast.channels
        if (user.pk, channel) not in existing
    ]
    missing_ids = {user.pk for user, _channel in missing}
    opted_out = set()
    quiet = {}
    if not template.legally_required:
        opted_out = set(
            OptOut.objects.filter(
                user_id__in=missing_ids, topic=template.topic, channel__in=broadcast.channels
            ).values_list("user_id", "channel")
        )
        if any(channel != Channel.INBOX for channel in broadcast.channels):
            quiet = {hours.user_id: hours for hours in QuietHours.objects.filter(user_id__in=missing_ids)}
    now = timezone.now()
    rendered: dict[tuple[str, str], tuple[str, str]] = {}
    new, unbuildable = [], 0
    for user, channel in missing:
        try:
            new.append(
                _broadcast_row(
                    broadcast,
                    user,
                    channel,
                    opted_out=(user.pk, channel) in opted_out,
                    quiet_hours=quiet.get(user.pk),
                    rendered=rendered,
                    now=now,
                )
            )
        except Exception:
            logger.exception("Broadcast %s to user %s by %s failed", broadcast.public_id, user.pk, channel)
            unbuildable += 1
    if not new:
        return list(existing.values()), unbuildable
    try:
        with transaction.atomic():
            Notification.objects.bulk_create(new)
        rows = [*existing.values(), *new]
    except IntegrityError:
        # A concurrent run of the same batch made some: theirs stay (the unique constraint), the
        # rest are inserted, and the rows are read back rather than assumed.
        Notification.objects.bulk_create(new, ignore_conflicts=True)
        rows = list(
            Notification.objects.filter(broadcast=broadcast, recipient_id__in=user_ids).only(*_ROW_FIELDS)
        )
    _schedule_held({row.pk for row in rows}, new)
    return rows, unbuildable


def _broadcast_row(
    broadcast: Broadcast,
    user: User,
    channel: str,
    *,
    opted_out: bool,
    quiet_hours: QuietHours | None,
    rendered: dict[tuple[str, str], tuple[str, str]],
    now: object,
) -> Notification:
    """One unsaved row, as _notification_create would make it; the text rendered once per language
    and channel (a broadcast's personalisation is the same for everyone)."""
    version = broadcast.template_version
    template = version.template
    language = user.preferred_language if user.preferred_language in LANGUAGE_CODES else "en"
    if (language, channel) not in rendered:
        rendered[language, channel] = _render(version, language, broadcast.personalisation, channel)
    subject, body = rendered[language, channel]
    address = {Channel.INBOX: "", Channel.EMAIL: user.email, Channel.SMS: user.mobile_number}[channel]
    if channel == Channel.EMAIL:
        body += _email_footer(language=language, topic=template.topic, user=user, address=address)
    scheduled_for = None
    if channel != Channel.INBOX and not template.legally_required and not opted_out:
        scheduled_for = quiet_hours_end(quiet_hours=quiet_hours, at=now)
    return Notification(
        department_id=template.department_id,
        template_version=version,
        recipient=user,
        to=address,
        channel=channel,
        language=language,
        status=Status.OPTED_OUT if opted_out else Status.CREATED,
        completed_at=now if opted_out else None,
        subject=subject,
        body=body,
        is_test=broadcast.is_test,
        broadcast=broadcast,
        scheduled_for=scheduled_for,
    )


def _schedule_held(stored: set, made: list[Notification]) -> None:
    """Rows held for quiet hours get their ETA task (the sweeper is the safety net)."""
    from services.notifications.tasks import notification_deliver_task

    for row in made:
        if row.scheduled_for is not None and row.pk in stored:
            notification_deliver_task.apply_async(args=[str(row.pk)], eta=row.scheduled_for)


def _broadcast_deliver_in_database(broadcast: Broadcast, rows: list[Notification]) -> dict:
    """Inbox (and test-key) rows of a batch delivered in one transaction: the claim, the messages
    and the statuses commit together, so a worker killed midway leaves all of them claimable."""
    now = timezone.now()
    notification_type = broadcast.template_version.template.notification_type
    with transaction.atomic():
        claimed = list(
            Notification.objects.select_for_update(of=("self",))
            .filter(pk__in=[row.pk for row in rows], status__in=CLAIMABLE)
            .only("pk", "recipient_id", "department_id", "channel", "subject", "body", "is_test", "attempts")
        )
        inbox = [row for row in claimed if row.channel == Channel.INBOX and not row.is_test]
        # One recipient's message that cannot be made fails the whole transaction: the caller
        # then delivers one by one, so only that recipient fails.
        messages = Message.objects.bulk_create(
            [delivery.inbox_message(row, notification_type=notification_type) for row in inbox]
        )
        for row, message in zip(inbox, messages, strict=True):
            row.message = message
        _mark_delivered(claimed, now)
    statuses = {row.pk: Status.DELIVERED for row in claimed}
    unclaimed = [row.pk for row in rows if row.pk not in statuses]
    if unclaimed:  # another worker has them: report what they are now
        statuses.update(Notification.objects.filter(pk__in=unclaimed).values_list("pk", "status"))
    return statuses


def _mark_delivered(rows: list[Notification], now: object) -> None:
    """Delivered, each with its inbox message: one UPDATE … FROM unnest() on PostgreSQL (Django's
    bulk_update builds a CASE per row and field, ~8 ms of Python per row); elsewhere the common
    fields in one UPDATE and the message links with bulk_update."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Notification._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS n SET status = %s, failure_reason = '', attempts = n.attempts + 1, "  # noqa: S608 - table name from the model
                "sent_at = %s, completed_at = %s, message_id = v.message_id "
                "FROM unnest(%s::uuid[], %s::bigint[]) AS v(id, message_id) WHERE n.id = v.id",
                [Status.DELIVERED, now, now, [row.pk for row in rows], [row.message_id for row in rows]],
            )
        return
    Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=Status.DELIVERED, failure_reason="", attempts=F("attempts") + 1, sent_at=now, completed_at=now
    )
    linked = [row for row in rows if row.message_id is not None]
    if linked:
        Notification.objects.bulk_update(linked, ["message"])


def _broadcast_deliver_one_by_one(broadcast: Broadcast, user_ids: list[int]) -> dict[str, int]:
    """The fallback: each recipient and channel on its own, so one failure never stops the rest."""
    outcome = {"delivered": 0, "failed": 0, "skipped": 0}
    for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
        for channel in broadcast.channels:
            try:
                status = _broadcast_deliver_one(broadcast, user, channel)
            except Exception:
                logger.exception(
                    "Broadcast %s to user %s by %s failed", broadcast.public_id, user.pk, channel
                )
                status = Status.PERMANENT_FAILURE
            _count(outcome, status)
    return outcome


def _broadcast_deliver_one(broadcast: Broadcast, user: User, channel: str) -> str:
    notification = Notification.objects.filter(broadcast=broadcast, recipient=user, channel=channel).first()
    if notification is None:
        address = {Channel.INBOX: "", Channel.EMAIL: user.email, Channel.SMS: user.mobile_number}[channel]
        try:
            with transaction.atomic():
                notification = _notification_create(
                    version=broadcast.template_version,
                    user=user,
                    channel=channel,
                    address=address,
                    language=user.preferred_language,
                    personalisation=broadcast.personalisation,
                    is_test=broadcast.is_test,
                    broadcast=broadcast,
                )
        except IntegrityError:
            notification = Notification.objects.get(broadcast=broadcast, recipient=user, channel=channel)
    if notification.status not in (Status.CREATED, Status.TEMPORARY_FAILURE):
        return notification.status
    return notification_deliver(notification_id=str(notification.pk))
