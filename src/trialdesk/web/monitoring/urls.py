from django.urls import path

from trialdesk.web.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.index, name="index"),
    path("plan/", views.plan, name="plan"),
    path("records/<str:source>/<str:ref>/", views.record, name="record"),
    path("visits/<int:visit_id>/", views.visit, name="visit"),
    path("visits/<int:visit_id>/findings/", views.add_finding, name="add_finding"),
    path("visits/<int:visit_id>/action-items/", views.add_action_item, name="add_action_item"),
    path("visits/<int:visit_id>/letter/", views.letter_page, name="letter"),
    path("action-items/<int:item_id>/", views.update_action_item, name="action_item"),
]
