from django.urls import reverse
from django.utils.translation import gettext as _

from eid.public import AssuranceLevel, User
from services.base import Category, DashboardItem, ServiceApp
from services.notifications.selectors import inbox_summary, message_list_for_citizen
from services.registry import register


@register("inbox")
class InboxService(ServiceApp):
    names = {"en": "Message inbox", "zh-hant": "訊息收件匣", "zh-hans": "消息收件箱"}
    summaries = {
        "en": "Messages to you from government departments.",
        "zh-hant": "政府部門發給你的訊息。",
        "zh-hans": "政府部门发给你的消息。",
    }
    department_code = "ogcio"
    category = Category.COMMUNICATION
    urlconf = "services.notifications.urls"
    required_assurance = AssuranceLevel.LOW
    scopes = {"openid": "Deliver messages to your eID account."}
    notification_types = ("message",)

    def dashboard_items(self, *, citizen: User) -> list[DashboardItem]:
        summary = inbox_summary(citizen=citizen)
        return [
            DashboardItem(
                title=_("Unread messages"),
                url=reverse("inbox:index"),
                status=_("%(count)s unread") % {"count": summary.unread},
                updated_at=summary.latest_at,
                badge=summary.unread,
            )
        ]

    def export_resident_data(self, *, citizen: User) -> dict:
        return {
            "messages": [
                {
                    "subject": message.subject,
                    "body": message.body,
                    "department": message.department.code if message.department else "",
                    "sent_at": message.created_at.isoformat(),
                    "read_at": message.read_at.isoformat() if message.read_at else None,
                }
                for message in message_list_for_citizen(citizen=citizen)
            ]
        }
