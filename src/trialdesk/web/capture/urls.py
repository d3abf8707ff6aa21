from django.urls import path

from trialdesk.web.capture import views, views_locks, views_review

app_name = "capture"

urlpatterns = [
    path("participants/<str:code>/", views.participant_page, name="participant"),
    path("participants/<str:code>/discontinue/", views.discontinue, name="discontinue"),
    path("participants/<str:code>/<str:visit>/sign/", views.sign_visit_page, name="sign_visit"),
    path("participants/<str:code>/<str:visit>/not-done/", views.visit_not_done,
         name="visit_not_done"),
    path("participants/<str:code>/<str:visit>/<str:form>/", views.form_page, name="form"),
    path("participants/<str:code>/<str:visit>/<str:form>/check/", views.form_check,
         name="form_check"),
    path("participants/<str:code>/<str:visit>/<str:form>/sign/", views.sign_form_page,
         name="sign_form"),
    path("participants/<str:code>/<str:visit>/<str:form>/query/", views_review.raise_query,
         name="raise_query"),
    path("queries/", views_review.query_list, name="queries"),
    path("queries/<int:query_id>/", views_review.query_page, name="query"),
    path("worklist/", views_review.worklist, name="worklist"),
    path("completeness/", views_review.completeness, name="completeness"),
    path("locks/", views_review.locks, name="locks"),
    path("locks/readiness/", views_locks.lock_readiness, name="lock_readiness"),
    path("import/", views_review.import_page, name="import"),
]
