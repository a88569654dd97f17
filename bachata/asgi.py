"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bachata.settings")
application = get_asgi_application()

# As in bachata/wsgi.py: a serving process resumes left-over jobs and warms its models in the background.
from bachata.inprocess import start_serving  # noqa: E402

start_serving()
