"""Every API schema has its own name: the OpenAPI document keys its components by class name.

Two schemas of one name (say `SettingsOut` in two apps) become one component, so the published
document describes one endpoint's answer with the other's fields, and clients generated from it
are wrong.
"""

from __future__ import annotations

from collections import defaultdict

from django.urls import reverse
from ninja import Schema


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_no_two_api_schemas_share_a_name(client):
    client.get(reverse("api:openapi-json"))  # every router is imported by now
    modules: dict[str, set[str]] = defaultdict(set)
    for schema in _subclasses(Schema):
        if schema.__module__.startswith("hearth.") and ".tests." not in schema.__module__:
            modules[schema.__name__].add(schema.__module__)
    shared = {name: sorted(found) for name, found in modules.items() if len(found) > 1}
    assert not shared, f"API schemas sharing a name (rename one of each): {shared}"
