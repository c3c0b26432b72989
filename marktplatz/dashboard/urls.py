from django.urls import path

from marktplatz.dashboard import views

urlpatterns = [path("", views.home, name="home")]
