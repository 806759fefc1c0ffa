from allauth.usersessions.admin import UserSessionAdmin as AllauthUserSessionAdmin
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from eid.models import Department, OfficerMembership, User

# allauth's admin searches user__username, which our User does not have (every search was a 500):
# the sessions are found by the resident's email instead. Importing it above registered it first.
admin.site.unregister(UserSession)


@admin.register(UserSession)
class UserSessionAdmin(AllauthUserSessionAdmin):
    search_fields = ["user__email", "ip"]


class MembershipInline(admin.TabularInline):
    model = OfficerMembership
    extra = 0
    autocomplete_fields = ["department"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "legal_name_en", "assurance_level", "is_staff", "is_active"]
    list_filter = ["assurance_level", "is_staff", "is_active"]
    search_fields = ["email", "legal_name_en", "legal_name_zh"]
    readonly_fields = ["public_id", "hkid_masked", "last_login", "date_joined"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password", "public_id"]}),
        (
            _("Identity"),
            {"fields": ["legal_name_en", "legal_name_zh", "date_of_birth", "hkid_masked", "assurance_level"]},
        ),
        (
            _("Contact"),
            {
                "fields": [
                    "mobile_number",
                    "mobile_verified",
                    "address_flat",
                    "address_building",
                    "address_street",
                    "address_district",
                    "preferred_language",
                ]
            },
        ),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_zh_hant", "verifies_identity"]
    search_fields = ["code", "name_en", "name_zh_hant", "name_zh_hans"]
