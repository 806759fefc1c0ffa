"""The demo data set. Passwords here are for the demo only (documented in the README)."""

import datetime

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP

from eid.actions import user_set_hkid
from eid.constants import AssuranceLevel, District, OfficerRole
from eid.models import Department, OfficerMembership, User
from eid.oidc.onboarding import sandbox_resident_mark
from services.notifications.models import Message

DEMO_PASSWORD = "portal-demo-2026"
# Base32 TOTP secret of the proofed demo residents, documented in the README so scripts can compute
# codes (e.g. `python -c "import pyotp; print(pyotp.TOTP('…').now())"`). Demo only.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

DEPARTMENTS = [
    ("imm", "Immigration Department", "入境事務處", "入境事务处", True),
    ("td", "Transport Department", "運輸署", "运输署", False),
    ("lcsd", "Leisure and Cultural Services Department", "康樂及文化事務署", "康乐及文化事务署", False),
    ("ogcio", "Digital Policy Office", "數字政策辦公室", "数字政策办公室", False),
]

RESIDENTS = [
    # email, English name, Chinese name, HKID, level, district
    ("low@demo.local", "CHAN Tai Man", "陳大文", "A123456(3)", AssuranceLevel.LOW, District.SHA_TIN),
    (
        "substantial@demo.local",
        "WONG Siu Ming",
        "黃小明",
        "B234567(1)",
        AssuranceLevel.SUBSTANTIAL,
        District.WAN_CHAI,
    ),
    ("high@demo.local", "LEE Ka Yan", "李嘉欣", "C345678(A)", AssuranceLevel.SUBSTANTIAL, District.KWUN_TONG),
    ("officer@demo.local", "CHEUNG Wing Kei", "張詠琪", "", AssuranceLevel.LOW, District.EASTERN),
    ("admin@demo.local", "Portal Administrator", "", "", AssuranceLevel.LOW, District.CENTRAL_WESTERN),
]

MESSAGES = [
    (
        "ogcio",
        {
            "en": "Welcome to the eID Portal",
            "zh-hant": "歡迎使用 eID 入門網站",
            "zh-hans": "欢迎使用 eID 入门网站",
        },
        {
            "en": "Your eID account is ready. Use it to sign in to every public e-service.",
            "zh-hant": "你的 eID 帳戶已經啟用。你可以用它登入所有公共電子服務。",
            "zh-hans": "你的 eID 账户已经启用。你可以用它登录所有公共电子服务。",
        },
    ),
    (
        "td",
        {
            "en": "Your vehicle licence expires soon",
            "zh-hant": "你的車輛牌照即將到期",
            "zh-hans": "你的车辆牌照即将到期",
        },
        {
            "en": "Renew your vehicle licence online before the end of next month.",
            "zh-hant": "請於下月底前在網上續領車輛牌照。",
            "zh-hans": "请于下月底前在网上续领车辆牌照。",
        },
    ),
]


def seed_demo_data() -> list[str]:
    summary: list[str] = []
    departments = {}
    for code, name_en, name_zh_hant, name_zh_hans, verifies in DEPARTMENTS:
        departments[code], _ = Department.objects.update_or_create(
            code=code,
            defaults={
                "name_en": name_en,
                "name_zh_hant": name_zh_hant,
                "name_zh_hans": name_zh_hans,
                "verifies_identity": verifies,
            },
        )
    summary.append(f"{len(departments)} departments")

    users = {}
    for email, name_en, name_zh, hkid, level, district in RESIDENTS:
        user, created = User.objects.get_or_create(email=email)
        user.legal_name_en = name_en
        user.legal_name_zh = name_zh
        user.date_of_birth = datetime.date(1985, 6, 15)
        user.address_flat = "Flat A, 12/F"
        user.address_building = "Demo Court"
        user.address_street = "1 Demo Road"
        user.address_district = district
        user.assurance_level = level
        user.is_staff = user.is_superuser = email == "admin@demo.local"
        if created:
            user.set_password(DEMO_PASSWORD)
        user.save()
        if hkid and not user.hkid_hash:
            user_set_hkid(user=user, raw_hkid=hkid)
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        users[email] = user
        # The only accounts sandbox OIDC clients may sign in (eid/oidc/onboarding.py).
        sandbox_resident_mark(user=user)
    summary.append(f"{len(users)} demo accounts (password {DEMO_PASSWORD!r})")

    for email in ("substantial@demo.local", "high@demo.local"):
        if not Authenticator.objects.filter(user=users[email], type=Authenticator.Type.TOTP).exists():
            TOTP.activate(users[email], DEMO_TOTP_SECRET)
            RecoveryCodes.activate(users[email])
    summary.append(f"TOTP secret of the proofed demo residents: {DEMO_TOTP_SECRET}")

    OfficerMembership.objects.update_or_create(
        user=users["officer@demo.local"],
        department=departments["imm"],
        defaults={"role": OfficerRole.OFFICER},
    )
    summary.append("officer@demo.local is an officer of the Immigration Department")

    for user in users.values():
        language = user.preferred_language
        for code, subjects, bodies in MESSAGES:
            Message.objects.get_or_create(
                recipient=user,
                department=departments[code],
                subject=subjects.get(language, subjects["en"]),
                defaults={"body": bodies.get(language, bodies["en"])},
            )
    summary.append(f"{len(MESSAGES)} inbox messages for each account")

    from services.eforms.demo import seed_eforms_demo

    summary += seed_eforms_demo(departments=departments, users=users)
    return summary
