"""WSGI entry point: ``gunicorn config.wsgi``.

Production settings unless DJANGO_SETTINGS_MODULE says otherwise: a deployment that forgets
the variable refuses to start without its secrets instead of running with DEBUG on and a
committed key (``make run`` and the tests choose their settings explicitly).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()
