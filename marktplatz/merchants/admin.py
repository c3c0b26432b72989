from django.contrib import admin

from marktplatz.merchants.models import Employer, Merchant


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "category", "status", "is_active", "accepting"]
    list_filter = ["city", "status", "category", "is_active"]
    search_fields = ["name", "code", "email"]
    readonly_fields = ["code", "created_at"]


@admin.register(Employer)
class EmployerAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "contact_email"]
    list_filter = ["city"]
    search_fields = ["name"]
