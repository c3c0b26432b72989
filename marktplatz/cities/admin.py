from django.contrib import admin

from marktplatz.cities.models import City, Department


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "country",
        "currency",
        "default_language",
        "domain",
        "is_active",
    ]
    list_filter = ["country", "currency", "is_active"]
    search_fields = ["name", "slug", "domain"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "email"]
    list_filter = ["city"]
    search_fields = ["name"]
