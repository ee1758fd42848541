"""
WSGI config for povreg project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "povreg.settings")

from povreg.startup import refuse_insecure_start  # noqa: E402

refuse_insecure_start()

application = get_wsgi_application()
