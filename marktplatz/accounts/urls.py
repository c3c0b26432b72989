from django.urls import path

from marktplatz.accounts import views

urlpatterns = [
    path("me/", views.me, name="me"),
    path("operator/staff/", views.town_staff, name="town_staff"),
    path("operator/staff/invite/", views.invite, name="invite"),
    path("merchant/<str:code>/staff/invite/", views.merchant_invite, name="merchant_invite"),
    path("roles/<str:code>/revoke/", views.role_revoke, name="role_revoke"),
    path("invitations/<str:code>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/accept/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
