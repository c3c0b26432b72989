from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from marktplatz.accounts.models import Invitation, Role, User


class RoleInline(admin.TabularInline):
    model = Role
    extra = 0
    fields = ["city", "kind", "merchant", "department", "employer"]
    raw_id_fields = ["merchant", "department", "employer"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_superuser", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name"]}),
        ("Platform", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal: list[str] = []
    list_filter = ["is_active", "is_superuser"]
    inlines = [RoleInline]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["user", "city", "kind", "merchant", "department", "employer"]
    list_filter = ["city", "kind"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "merchant", "department", "employer"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "city",
        "kind",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["city", "kind"]
    search_fields = ["email"]
    exclude = ["token_hash"]
    readonly_fields = ["code", "accepted_by", "accepted_at", "invited_by"]
