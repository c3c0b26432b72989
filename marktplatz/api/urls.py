from django.urls import path

from marktplatz.api import views

urlpatterns = [
    path("merchant/<str:code>/keys/", views.keys, name="terminal_keys"),
    path(
        "merchant/<str:code>/keys/<str:key>/revoke/", views.key_revoke, name="terminal_key_revoke"
    ),
]
