from django.contrib import admin

from marktplatz.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["created_at", "city", "actor_email", "action", "object_type", "object_label"]
    list_filter = ["city", "action"]
    search_fields = ["actor_email", "object_code", "object_label"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
