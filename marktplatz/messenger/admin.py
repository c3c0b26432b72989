from django.contrib import admin

from marktplatz.messenger.models import Follow, Offer


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["title", "city", "merchant", "starts_on", "ends_on", "audience", "published_at"]
    list_filter = ["city", "audience"]
    search_fields = ["title", "code"]


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["user", "city", "merchant", "category", "created_at"]
    list_filter = ["city"]
