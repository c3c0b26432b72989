from django.urls import path

from marktplatz.audit import views

urlpatterns = [path("operator/audit/", views.audit_log, name="audit_log")]
