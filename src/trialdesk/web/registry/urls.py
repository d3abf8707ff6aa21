"""URL patterns of the public registry, mounted under "/registry"."""

from django.urls import URLPattern

app_name = "registry"

urlpatterns: list[URLPattern] = []
