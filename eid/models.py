"""The resident (the user model), departments and officer memberships."""

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from eid.constants import REGION_OF_DISTRICT, AssuranceLevel, District, Language, OfficerRole

mobile_validator = RegexValidator(
    r"\A\+852[4-9][0-9]{7}\Z",
    _("Enter a Hong Kong mobile number like +852 9123 4567."),
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A resident's eID account. Officers and administrators are residents with extra roles."""

    public_id = models.UUIDField(_("public identifier"), default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email address"), unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    legal_name_en = models.CharField(_("legal name (English)"), max_length=150, blank=True)
    legal_name_zh = models.CharField(_("legal name (Chinese)"), max_length=50, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    # HKID: never in clear. The hash finds duplicates and matches documents; the mask is for display.
    hkid_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    hkid_masked = models.CharField(_("HKID (masked)"), max_length=16, blank=True, editable=False)
    # The number as verified on the card, Fernet-sealed (eid.hkid.hkid_seal): opened only for the
    # claims of a department with a recorded legal basis. Never shown in admin, logs or audit data.
    hkid_sealed = models.TextField(blank=True, default="", editable=False)

    mobile_number = models.CharField(
        _("mobile number"), max_length=16, blank=True, validators=[mobile_validator]
    )
    mobile_verified = models.BooleanField(_("mobile number verified"), default=False)

    address_flat = models.CharField(_("flat, floor and block"), max_length=100, blank=True)
    address_building = models.CharField(_("building"), max_length=100, blank=True)
    address_street = models.CharField(_("street"), max_length=150, blank=True)
    address_district = models.CharField(_("district"), max_length=20, choices=District.choices, blank=True)

    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    assurance_level = models.PositiveSmallIntegerField(
        _("assurance level"), choices=AssuranceLevel.choices, default=AssuranceLevel.LOW
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            models.UniqueConstraint(
                fields=["hkid_hash"],
                condition=~models.Q(hkid_hash=""),
                name="eid_user_unique_hkid",
            )
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.legal_name_en or self.email

    def get_short_name(self) -> str:
        return self.legal_name_en.split(" ")[0] if self.legal_name_en else self.email

    @property
    def address_region(self) -> str:
        return REGION_OF_DISTRICT.get(self.address_district, "")


class Department(models.Model):
    """A government department that owns e-services and employs officers."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=100)
    name_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=100)
    verifies_identity = models.BooleanField(
        _("verifies residents' identity"),
        default=False,
        help_text=_("Officers of this department may proof residents' identity at a counter."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        # In the page's language: form choices and headings render departments through str().
        return self.name_in(get_language() or Language.ENGLISH)

    def name_in(self, language: str) -> str:
        return {
            Language.TRADITIONAL_CHINESE: self.name_zh_hant,
            Language.SIMPLIFIED_CHINESE: self.name_zh_hans,
        }.get(language, self.name_en)


class OfficerMembership(models.Model):
    """An officer's role in one department. An officer sees only their departments' records."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        _("role"), max_length=20, choices=OfficerRole.choices, default=OfficerRole.OFFICER
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("officer membership")
        verbose_name_plural = _("officer memberships")
        constraints = [models.UniqueConstraint(fields=["user", "department"], name="eid_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.department.code} ({self.role})"


class VerificationRequest(models.Model):
    """A resident's request to be identity-proofed to SUBSTANTIAL at a registration counter."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a counter visit")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Document(models.TextChoices):
        HKID_CARD = "hkid_card", _("Hong Kong Identity Card")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="verification_requests")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    # What the resident claims; checked against the document by an officer.
    legal_name_en = models.CharField(_("legal name (English)"), max_length=150)
    legal_name_zh = models.CharField(_("legal name (Chinese)"), max_length=50, blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    hkid_hash = models.CharField(max_length=64, editable=False)
    hkid_masked = models.CharField(_("HKID (masked)"), max_length=16, editable=False)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    # The officer's decision.
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("officer")
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    document_type = models.CharField(
        _("document checked"), max_length=32, choices=Document.choices, blank=True
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("verification request")
        verbose_name_plural = _("verification requests")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(status="pending"), name="eid_one_pending_verification"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.status})"
