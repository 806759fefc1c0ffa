import os

from portal.handlers import get_wsgi_application  # the machine endpoints' own middleware stack

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.prod")
application = get_wsgi_application()
