from django.urls import path

from trialdesk.web.design import adaptive, bop2, views

app_name = "design"

urlpatterns = [
    path("", views.index, name="index"),
    path("sample-size/<str:kind>/", views.sample_size, name="sample-size"),
    path("boundaries/", views.boundaries, name="boundaries"),
    path("adaptive/", adaptive.adaptive_page, name="adaptive"),
    path("bop2/", bop2.bop2_page, name="bop2"),
    path("report/", views.report, name="report"),
    path("simulate/", views.simulate, name="simulate"),
    path("simulate/<str:job_id>/", views.simulation, name="simulation"),
    path("simulate/<str:job_id>/status", views.simulation_status, name="simulation-status"),
]
