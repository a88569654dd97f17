"""WSGI entry point (gunicorn bachata.wsgi; `manage.py runserver` loads it too, in the serving process)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bachata.settings")
application = get_wsgi_application()

# Only a process that serves requests gets here (not migrate, not a management command, not the tests):
# in the embedded mode it resumes the jobs left from before and warms its models in the background.
from bachata.inprocess import start_serving  # noqa: E402

start_serving()
