import os
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hearth.settings")
_django = get_wsgi_application()

from hearth.pipeline.receiver import with_receiver  # noqa: E402 - needs the apps loaded

application: Any = with_receiver(_django)
