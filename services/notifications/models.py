import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from eid.public import District


class Message(models.Model):
    """A message from a department in a resident's inbox, stored in the resident's language."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_messages"
    )
    # Empty for messages from the portal itself rather than a department.
    department = models.ForeignKey(
        "eid.Department", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    notification_type = models.CharField(_("type"), max_length=64, default="message")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), max_length=10_000)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notif_recipient_unread")]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Channel(models.TextChoices):
    INBOX = "inbox", _("Portal inbox")
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message (SMS)")


class Topic(models.TextChoices):
    """What a notification is about; residents opt out per channel and topic."""

    ACCOUNT = "account", _("Your account and eID")
    APPLICATIONS = "applications", _("Applications and bookings")
    REMINDERS = "reminders", _("Reminders")
    GENERAL = "general", _("General information")
    ROAD_WORKS = "road-works", _("Road works")
    CLOSURES = "closures", _("Closures of facilities")
    WEATHER = "weather", _("Weather warnings")


# Topics a resident can follow for a district (location-based information).
AREA_TOPICS = (Topic.ROAD_WORKS, Topic.CLOSURES, Topic.WEATHER)


class Status(models.TextChoices):
    CREATED = "created", _("Created")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    PERMANENT_FAILURE = "permanent-failure", _("Permanent failure")
    TEMPORARY_FAILURE = "temporary-failure", _("Temporary failure")
    # Not sent because the resident opted out of this channel and topic (never for legal notices).
    OPTED_OUT = "opted-out", _("Opted out")


class NotificationTemplate(models.Model):
    """A department's template for one notification type; its text lives in versions."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    department = models.ForeignKey("eid.Department", on_delete=models.PROTECT, related_name="+")
    notification_type = models.SlugField(_("notification type"), max_length=64)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices, default=Topic.GENERAL)
    # Legally required notices are sent whatever the resident's opt-outs, and say so.
    legally_required = models.BooleanField(_("legally required"), default=False)
    # Only a live key may send it (a test key gets a 400): for templates whose sending must always be
    # real, e.g. one a department system must never exercise with a key that reaches no one.
    live_only = models.BooleanField(_("live keys only"), default=False)
    current_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")
        constraints = [
            models.UniqueConstraint(fields=["department", "notification_type"], name="notif_template_unique")
        ]

    def __str__(self) -> str:
        return f"{self.department_id}:{self.notification_type}"

    @property
    def is_live(self) -> bool:
        """A live template is legally required or marked live-only: test keys may not use it."""
        return self.legally_required or self.live_only


class TemplateVersion(models.Model):
    """Immutable text of a template: every edit adds a version, and a sent message records which."""

    template = models.ForeignKey(NotificationTemplate, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    subject_en = models.CharField(max_length=200)
    subject_zh_hant = models.CharField(max_length=200)
    subject_zh_hans = models.CharField(max_length=200)
    body_en = models.TextField(max_length=10_000)
    body_zh_hant = models.TextField(max_length=10_000)
    body_zh_hans = models.TextField(max_length=10_000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["template", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["template", "version"], name="notif_template_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.version}"

    def text(self, language: str) -> tuple[str, str]:
        suffix = language.replace("-", "_")
        return getattr(self, f"subject_{suffix}"), getattr(self, f"body_{suffix}")


class ApiKey(models.Model):
    """A department system's key. Only a keyed SHA-256 of it is stored; the key is shown once."""

    class KeyType(models.TextChoices):
        LIVE = "live", _("Live")
        # A test key goes through validation and the status lifecycle but never delivers.
        TEST = "test", _("Test")

    department = models.ForeignKey("eid.Department", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    key_type = models.CharField(_("type"), max_length=8, choices=KeyType.choices)
    prefix = models.CharField(max_length=24, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Requests per minute; empty means NOTIFICATIONS_API_RATE_LIMIT.
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)
    # Delivery callbacks: each final status is POSTed here, signed (HMAC-SHA256) with the secret,
    # stored Fernet-encrypted (services.notifications.secrets; read with callbacks.callback_secret).
    callback_url = models.URLField(max_length=500, blank=True)
    callback_secret = models.CharField(max_length=500, blank=True)
    # Set for the key standing for a department system registered as an OIDC client (client
    # credentials): its access tokens send as this key, which itself has no usable secret.
    oidc_client_id = models.CharField(max_length=100, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.UniqueConstraint(
                fields=["oidc_client_id"],
                condition=~models.Q(oidc_client_id=""),
                name="notif_apikey_oidc_client",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Broadcast(models.Model):
    """A department's notice to every resident following a district and topic."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    department = models.ForeignKey("eid.Department", on_delete=models.PROTECT, related_name="+")
    template_version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="+")
    district = models.CharField(max_length=20, choices=District.choices)
    channels = models.JSONField(default=list)
    personalisation = models.JSONField(default=dict, blank=True)
    is_test = models.BooleanField(default=False)
    # Recipients times channels, known once the fan-out has counted the subscribers.
    total = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.template_version} → {self.district}"


class Notification(models.Model):
    """One message to one recipient on one channel, and where it is in its lifecycle."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    department = models.ForeignKey("eid.Department", on_delete=models.PROTECT, related_name="+")
    template_version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    # The address used: an email address or a mobile number; empty for the inbox.
    to = models.CharField(max_length=254, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    language = models.CharField(max_length=8)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED, db_index=True)
    reference = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    is_test = models.BooleanField(default=False)
    # The department system's key that sent it (the REST API): its callback URL hears of each status.
    api_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    broadcast = models.ForeignKey(
        Broadcast, on_delete=models.CASCADE, related_name="notifications", null=True, blank=True
    )
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Held until then (the resident's quiet hours): delivery leaves it in "created" before this time.
    scheduled_for = models.DateTimeField(null=True, blank=True, db_index=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    # The SMS provider's id of the message (Twilio's MessageSid): its delivery receipt names it.
    provider_reference = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="notif_provider_reference",
            )
        ]
        constraints = [
            # A retried send with the same key finds these rows instead of sending again.
            models.UniqueConstraint(
                fields=["department", "idempotency_key", "channel"],
                condition=~models.Q(idempotency_key=""),
                name="notif_idempotency_unique",
            ),
            # A broadcast batch run twice (a worker killed mid-batch) finds its rows again.
            models.UniqueConstraint(
                fields=["broadcast", "recipient", "channel"],
                condition=models.Q(broadcast__isnull=False),
                name="notif_broadcast_recipient_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"


class OptOut(models.Model):
    """A resident (or, for a bare email address, the address) no longer wants a channel and topic."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    address = models.CharField(max_length=254, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    topic = models.CharField(max_length=20, choices=Topic.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "channel", "topic"],
                condition=models.Q(user__isnull=False),
                name="notif_optout_user_unique",
            ),
            models.UniqueConstraint(
                fields=["address", "channel", "topic"],
                condition=models.Q(user__isnull=True),
                name="notif_optout_address_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.topic}"


class DistrictSubscription(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    district = models.CharField(max_length=20, choices=District.choices)
    topic = models.CharField(max_length=20, choices=Topic.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "district", "topic"], name="notif_subscription_unique")
        ]
        indexes = [models.Index(fields=["district", "topic", "user"], name="notif_subscription_area")]

    def __str__(self) -> str:
        return f"{self.district}:{self.topic}"


class QuietHours(models.Model):
    """Hours (local time) in which email and SMS wait; the inbox never disturbs, so it is not held.

    start == end is no quiet hours; start > end spans midnight (22:00 to 07:00)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.TimeField(_("quiet from"))
    end = models.TimeField(_("quiet until"))

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"
