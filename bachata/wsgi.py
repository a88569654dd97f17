"""WSGI entry point (gunicorn bachata.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bachata.settings")
application = get_wsgi_application()
