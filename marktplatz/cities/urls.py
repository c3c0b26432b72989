from django.urls import path

from marktplatz.cities import views

urlpatterns = [
    path("brand.css", views.brand_css, name="brand_css"),
    path("operator/settings/", views.settings_view, name="town_settings"),
    path("operator/departments/", views.departments, name="departments"),
]
