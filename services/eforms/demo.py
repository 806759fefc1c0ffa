"""Demo forms (called from portal/demo.py): a residential parking permit and a change of address."""

# Chinese text uses full-width punctuation (colon, comma, question mark), which is correct there.
# ruff: noqa: RUF001

from django.db import transaction
from django.utils import timezone

from eid.public import AssuranceLevel, Department, OfficerMembership, OfficerRole, User
from services.eforms.actions import _next_reference
from services.eforms.definition import validate_definition
from services.eforms.fields import prefill_values
from services.eforms.models import Form, FormVersion, Submission, SubmissionEvent


def t(en: str, zh_hant: str, zh_hans: str) -> dict[str, str]:
    return {"en": en, "zh-hant": zh_hant, "zh-hans": zh_hans}


YES_NO = [{"value": "yes", "label": t("Yes", "是", "是")}, {"value": "no", "label": t("No", "否", "否")}]

PARKING_PERMIT = {
    "title": t("Apply for a residential parking permit", "申請住宅泊車許可證", "申请住宅泊车许可证"),
    "description": t(
        "For residents who park near home in a residential parking zone. The permit costs HK$450 for a year.",
        "適用於在住宅泊車區內近居所泊車的居民。許可證費用為每年港幣 450 元。",
        "适用于在住宅泊车区内近居所泊车的居民。许可证费用为每年港币 450 元。",
    ),
    "pages": [
        {
            "key": "applicant",
            "title": t("About you", "申請人資料", "申请人资料"),
            "fields": [
                {
                    "key": "name",
                    "type": "text",
                    "label": t("Full name in English", "英文全名", "英文全名"),
                    "prefill": "name_en",
                    "required": True,
                    "max_length": 150,
                },
                {
                    "key": "name_zh",
                    "type": "text",
                    "label": t("Full name in Chinese", "中文全名", "中文全名"),
                    "prefill": "name_zh",
                    "max_length": 50,
                },
                {
                    "key": "address",
                    "type": "hk_address",
                    "label": t("Home address", "住址", "住址"),
                    "help": t(
                        "The permit is for the parking zone of this address.",
                        "許可證適用於此地址所屬的泊車區。",
                        "许可证适用于此地址所属的泊车区。",
                    ),
                    "prefill": "address",
                    "required": True,
                },
                {
                    "key": "phone",
                    "type": "phone",
                    "label": t("Mobile number", "手提電話號碼", "手提电话号码"),
                    "prefill": "phone",
                    "required": True,
                },
                {
                    "key": "email",
                    "type": "email",
                    "label": t("Email address", "電郵地址", "电邮地址"),
                    "prefill": "email",
                },
            ],
        },
        {
            "key": "vehicle",
            "title": t("Your vehicle", "你的車輛", "你的车辆"),
            "fields": [
                {
                    "key": "registration_mark",
                    "type": "text",
                    "label": t("Registration mark", "車輛登記號碼", "车辆登记号码"),
                    "help": t("For example, AB1234.", "例如：AB1234。", "例如：AB1234。"),
                    "required": True,
                    "max_length": 6,
                    "pattern": "[A-Z]{1,2}[0-9]{1,4}",
                },
                {
                    "key": "vehicle_class",
                    "type": "choice",
                    "label": t("Class of vehicle", "車輛類別", "车辆类别"),
                    "required": True,
                    "choices": [
                        {"value": "private_car", "label": t("Private car", "私家車", "私家车")},
                        {"value": "motor_cycle", "label": t("Motor cycle", "電單車", "电单车")},
                        {"value": "light_goods", "label": t("Light goods vehicle", "輕型貨車", "轻型货车")},
                    ],
                },
                {
                    "key": "registered_owner",
                    "type": "choice",
                    "label": t("Who is the registered owner?", "誰是登記車主？", "谁是登记车主？"),
                    "required": True,
                    "choices": [
                        {"value": "me", "label": t("I am", "本人", "本人")},
                        {"value": "company", "label": t("My employer", "我的僱主", "我的雇主")},
                    ],
                },
            ],
        },
        {
            "key": "employer",
            "title": t("Your employer's vehicle", "僱主的車輛", "雇主的车辆"),
            "show_if": {"field": "registered_owner", "equals": "company"},
            "fields": [
                {
                    "key": "company_name",
                    "type": "text",
                    "label": t("Name of the company", "公司名稱", "公司名称"),
                    "required": True,
                    "max_length": 200,
                },
                {
                    "key": "authorisation_letter",
                    "type": "file",
                    "label": t(
                        "Letter from the company allowing you to use the vehicle",
                        "公司准許你使用該車輛的信件",
                        "公司准许你使用该车辆的信件",
                    ),
                    "help": t("A PDF of up to 5 MB.", "PDF 檔案，不超過 5 MB。", "PDF 文件，不超过 5 MB。"),
                    "required": True,
                    "accept": ["pdf"],
                    "max_size": 5 * 1024 * 1024,
                },
            ],
        },
        {
            "key": "permit",
            "title": t("Your permit", "許可證", "许可证"),
            "fields": [
                {
                    "key": "start_date",
                    "type": "date",
                    "label": t("Start date", "生效日期", "生效日期"),
                    "required": True,
                    "min": "2026-01-01",
                    "max": "2027-12-31",
                },
                {
                    "key": "proof_of_address",
                    "type": "file",
                    "label": t("Proof of address", "住址證明", "住址证明"),
                    "help": t(
                        "A recent utility bill or bank statement (3 months): PDF, PNG or JPEG, 5 MB at most.",
                        "最近三個月的水電費單或銀行月結單：PDF、PNG 或 JPEG，不超過 5 MB。",
                        "最近三个月的水电费单或银行月结单：PDF、PNG 或 JPEG，不超过 5 MB。",
                    ),
                    "required": True,
                    "accept": ["pdf", "png", "jpeg"],
                    "max_size": 5 * 1024 * 1024,
                },
            ],
        },
        {
            "key": "declaration",
            "title": t("Declaration", "聲明", "声明"),
            "fields": [
                {
                    "key": "declaration",
                    "type": "declaration",
                    "label": t(
                        "I declare that the information I have given is true and complete.",
                        "本人聲明所提供的資料均屬真實及完整。",
                        "本人声明所提供的资料均属真实及完整。",
                    ),
                }
            ],
        },
    ],
}

CHANGE_OF_ADDRESS = {
    "title": t("Report a change of address", "報告更改地址", "报告更改地址"),
    "description": t(
        "Tell us your new residential address. There is no fee.",
        "通知我們你的新住址。此服務免費。",
        "通知我们你的新住址。此服务免费。",
    ),
    "pages": [
        {
            "key": "you",
            "title": t("About you", "你的資料", "你的资料"),
            "fields": [
                {
                    "key": "name",
                    "type": "text",
                    "label": t("Full name in English", "英文全名", "英文全名"),
                    "prefill": "name_en",
                    "required": True,
                },
                {
                    "key": "hkid",
                    "type": "text",
                    "label": t("HKID number", "香港身份證號碼", "香港身份证号码"),
                    "prefill": "hkid_masked",
                },
                {
                    "key": "old_address",
                    "type": "hk_address",
                    "label": t("Current address", "現時地址", "现时地址"),
                    "prefill": "address",
                    "required": True,
                },
            ],
        },
        {
            "key": "new_address",
            "title": t("Your new address", "新地址", "新地址"),
            "fields": [
                {
                    "key": "new_address",
                    "type": "hk_address",
                    "label": t("New address", "新地址", "新地址"),
                    "required": True,
                },
                {
                    "key": "moved_on",
                    "type": "date",
                    "label": t("Date you moved", "遷入日期", "迁入日期"),
                    "required": True,
                },
                {
                    "key": "household",
                    "type": "choice",
                    "label": t(
                        "Are other members of your household moving with you?",
                        "其他家庭成員是否一同遷居？",
                        "其他家庭成员是否一同迁居？",
                    ),
                    "required": True,
                    "choices": YES_NO,
                },
                {
                    "key": "household_count",
                    "type": "number",
                    "label": t("How many other people?", "其他遷居人數", "其他迁居人数"),
                    "required": True,
                    "min": 1,
                    "max": 20,
                    "show_if": {"field": "household", "equals": "yes"},
                },
            ],
        },
        {
            "key": "contact",
            "title": t("Contact details", "聯絡資料", "联络资料"),
            "fields": [
                {
                    "key": "phone",
                    "type": "phone",
                    "label": t("Mobile number", "手提電話號碼", "手提电话号码"),
                    "prefill": "phone",
                },
                {
                    "key": "email",
                    "type": "email",
                    "label": t("Email address", "電郵地址", "电邮地址"),
                    "prefill": "email",
                },
                {
                    "key": "declaration",
                    "type": "declaration",
                    "label": t(
                        "I declare that the information I have given is true.",
                        "本人聲明所提供的資料均屬真實。",
                        "本人声明所提供的资料均属真实。",
                    ),
                },
            ],
        },
    ],
}

DEMO_FORMS = [
    # slug, department, prefix, definition, fee (cents), signature, level
    ("residential-parking-permit", "td", "RPP", PARKING_PERMIT, 45_000, True, AssuranceLevel.SUBSTANTIAL),
    ("change-of-address", "imm", "COA", CHANGE_OF_ADDRESS, None, False, AssuranceLevel.SUBSTANTIAL),
]


def _publish(*, slug: str, department: Department, prefix: str, definition: dict, **settings: object) -> Form:
    validate_definition(definition, complete=True)
    form, _ = Form.objects.get_or_create(
        slug=slug, defaults={"department": department, "reference_prefix": prefix}
    )
    current = form.published_version
    if (
        current is not None
        and current.definition == definition
        and all(getattr(current, name) == value for name, value in settings.items())
    ):
        return form  # already seeded
    with transaction.atomic():
        now = timezone.now()
        for version in form.versions.filter(status=FormVersion.Status.PUBLISHED):
            version.status, version.retired_at = FormVersion.Status.RETIRED, now
            version.save()
        number = (form.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = FormVersion.objects.create(
            form=form,
            number=number,
            definition=definition,
            status=FormVersion.Status.PUBLISHED,
            published_at=now,
            **settings,
        )
        form.status, form.published_version = Form.Status.PUBLISHED, version
        form.save()
    return form


def _demo_submission(*, form: Form, resident: User, answers: dict, status: str) -> None:
    if Submission.objects.filter(form=form, resident=resident).exists():
        return
    version = form.published_version
    prefilled = prefill_values(user=resident, definition=version.definition)
    with transaction.atomic():
        submission = Submission.objects.create(
            reference=_next_reference(form.reference_prefix),
            resident=resident,
            form=form,
            department=form.department,
            version=version,
            answers={**prefilled, **answers},
            prefilled=prefilled,
            language=resident.preferred_language,
            fee_cents=version.fee_cents,
            status=status,
            submitted_at=timezone.now(),
        )
        SubmissionEvent.objects.create(
            submission=submission, kind=SubmissionEvent.Kind.CREATED, to_status="submitted"
        )
        if status != Submission.Status.SUBMITTED:
            SubmissionEvent.objects.create(
                submission=submission,
                kind=SubmissionEvent.Kind.STATUS_CHANGED,
                from_status=Submission.Status.SUBMITTED,
                to_status=status,
            )


def seed_eforms_demo(*, departments: dict[str, Department], users: dict[str, User]) -> list[str]:
    forms = {}
    for slug, code, prefix, definition, fee, signature, level in DEMO_FORMS:
        forms[slug] = _publish(
            slug=slug,
            department=departments[code],
            prefix=prefix,
            definition=definition,
            fee_cents=fee,
            signature_required=signature,
            required_assurance=level,
            draft_retention_days=30,
        )
    officer = users.get("officer@demo.local")
    if officer is not None:
        OfficerMembership.objects.update_or_create(
            user=officer, department=departments["td"], defaults={"role": OfficerRole.OFFICER}
        )
    residents = [users[email] for email in ("substantial@demo.local", "high@demo.local") if email in users]
    for index, resident in enumerate(residents):
        _demo_submission(
            form=forms["change-of-address"],
            resident=resident,
            answers={
                "new_address": {
                    "flat": "Flat B, 8/F",
                    "building": "Harbour View",
                    "street": "8 Sea Road",
                    "district": "eastern",
                },
                "moved_on": "2026-10-01",
                "household": "no",
                "declaration": True,
            },
            status=Submission.Status.SUBMITTED if index == 0 else Submission.Status.IN_REVIEW,
        )
    if residents:
        _demo_submission(
            form=forms["residential-parking-permit"],
            resident=residents[0],
            answers={
                "registration_mark": "AB1234",
                "vehicle_class": "private_car",
                "registered_owner": "me",
                "phone": "+85291234567",
                "start_date": "2026-12-01",
                "declaration": True,
            },
            status=Submission.Status.IN_REVIEW,
        )
    return [
        "published online forms: " + ", ".join(forms),
        "demo submissions of substantial@ and high@demo.local; officer@demo.local is also a TD officer",
    ]
