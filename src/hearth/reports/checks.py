"""`hearth check --deploy`: can this host draw PDF reports (WeasyPrint and its system libraries)?"""

from __future__ import annotations

from typing import Any

from django.core import checks


@checks.register("hearth", deploy=True)
def check_pdf_engine(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        import weasyprint  # type: ignore[import-untyped]  # noqa: F401 - loads pango through cffi
    except (ImportError, OSError) as exc:
        return [
            checks.Warning(
                f"PDF reports cannot be drawn on this host: WeasyPrint does not load ({exc}).",
                hint="Install the system libraries it needs (Debian: apt-get install "
                "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core), on every worker host; "
                "HTML reports and everything else work without them.",
                id="hearth.W230",
            )
        ]
    return []
