"""WSGI entry point for gunicorn: ``gunicorn trialdesk.web.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialdesk.web.settings")
application = get_wsgi_application()

# Load the URL configuration (and with it the API and every view module) while the worker boots,
# not on its first request, so a freshly (re)started server answers at full speed.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
