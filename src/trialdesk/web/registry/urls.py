"""URL patterns of the public registry, mounted as ``path("registry", include(...))``.

The mount has no trailing slash, so that "/registry" itself is the search page; the record patterns
therefore begin with a slash. They are written "^[/]..." because Django's urls.W002 check warns on
patterns starting "^/" (meant for mounts that do end in a slash).
"""

from django.urls import path, re_path

from trialdesk.web.registry import views

NCT = r"(?P<nct_id>NCT\d{8})"

app_name = "registry"

urlpatterns = [
    path("", views.search, name="search"),
    re_path(rf"^[/]{NCT}\Z", views.record, name="record"),
    re_path(rf"^[/]{NCT}\.json\Z", views.record_json, name="record-json"),
    re_path(rf"^[/]{NCT}/fhir\Z", views.record_fhir, name="record-fhir"),
    re_path(rf"^[/]{NCT}\.provenance\.json\Z", views.record_provenance,
            name="record-provenance"),
]
