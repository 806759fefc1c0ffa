from django.urls import reverse
from django.utils.translation import gettext as _

from eid.public import AssuranceLevel, User
from services.base import Category, DashboardItem, ServiceApp
from services.registry import register


@register("eforms")
class FormsService(ServiceApp):
    names = {"en": "Online forms", "zh-hant": "網上表格", "zh-hans": "网上表格"}
    summaries = {
        "en": "Apply to government departments online, with your eID details filled in for you.",
        "zh-hant": "以網上表格向政府部門申請 並以你的 eID 資料預先填寫。",
        "zh-hans": "以网上表格向政府部门申请 并以你的 eID 资料预先填写。",
    }
    department_code = "ogcio"
    category = Category.IDENTITY
    urlconf = "services.eforms.urls"
    # Each form version sets its own level; its pages step the resident up as needed.
    required_assurance = AssuranceLevel.LOW
    scopes = {
        "profile": "Fill in your name on forms you choose to prefill.",
        "email": "Fill in your email address on forms you choose to prefill.",
        "phone": "Fill in your mobile number on forms you choose to prefill.",
        "address": "Fill in your address on forms you choose to prefill.",
        "birthdate": "Fill in your date of birth on forms you choose to prefill.",
        "eid.hkid": "Fill in your masked HKID number on forms you choose to prefill.",
    }
    notification_types = ("form_submitted", "form_status")
    takes_payments = True

    def dashboard_items(self, *, citizen: User) -> list[DashboardItem]:
        from services.eforms.selectors import dashboard_summary

        summary = dashboard_summary(citizen=citizen)
        items = []
        if summary.drafts:
            items.append(
                DashboardItem(
                    title=_("Unfinished forms"),
                    url=reverse("eforms:index"),
                    status=_("%(count)s saved") % {"count": summary.drafts},
                    updated_at=summary.latest_draft_at,
                    badge=summary.drafts,
                )
            )
        from services.eforms.case_selectors import applications_summary

        applications = applications_summary(citizen=citizen)
        if applications.total:
            items.append(
                DashboardItem(
                    title=_("My applications"),
                    url=reverse("eforms:my_applications"),
                    status=_("%(count)s in progress") % {"count": applications.open},
                    updated_at=applications.latest_at,
                    badge=applications.open or None,
                )
            )
        return items

    def export_resident_data(self, *, citizen: User) -> dict:
        from services.eforms.selectors import resident_export

        return resident_export(citizen=citizen)

    def erase_resident_data(self, *, citizen: User) -> int:
        # Submissions are department records kept under their retention rules; drafts are the
        # resident's own and go.
        from services.eforms.actions import drafts_erase_for_resident

        return drafts_erase_for_resident(citizen=citizen)
