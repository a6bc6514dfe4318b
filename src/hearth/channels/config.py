"""A channel's configuration, checked against its connector's `config_fields`.

The guided form, the API and the CLI all hand raw values to `clean_config`, which returns what
goes to `channel.config` and what goes, encrypted, to `channel.credentials` (the `secret`
fields), or raises an `ActionError` naming the field and what to do. A secret left empty keeps
the one already stored, so a settings form never needs to show it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from hearth.channels.connectors import CONNECTORS, connector_class
from hearth.channels.connectors.base import ConfigField
from hearth.core import outbound
from hearth.core.actions import ActionError

# Keys a person never sets through the connector's fields: they have their own actions.
RESERVED = frozenset({"brand_author_ids"})
TRUE = frozenset({"1", "true", "yes", "on", "y"})
FALSE = frozenset({"0", "false", "no", "off", "n", ""})


def fields_of(kind: str) -> tuple[ConfigField, ...]:
    if kind not in CONNECTORS:
        return ()
    return tuple(connector_class(kind).config_fields)


def _missing(field: ConfigField) -> ActionError:
    message = _("%(name)s is missing: %(label)s is required.") % {
        "name": field.name,
        "label": field.label,
    }
    return ActionError(f"{message} {field.help}" if field.help else message)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and not value)


def parse(field: ConfigField, value: Any) -> Any:
    """One raw value (a form's or the CLI's string, or the API's JSON) as the field's kind."""
    name, label = field.name, field.label
    if field.kind in ("text", "secret"):
        if not isinstance(value, str | int | float):
            raise ActionError(
                _("%(name)s must be text (%(label)s).") % {"name": name, "label": label}
            )
        return str(value).strip()
    if field.kind == "url":
        text = str(value).strip()
        if not text.startswith(("http://", "https://")):
            raise ActionError(
                _("%(name)s must be an address starting with https:// (or http://): %(label)s.")
                % {"name": name, "label": label}
            )
        try:
            outbound.check_syntax(text)  # a literal local address; a name is vetted when called
        except outbound.OutboundRefused:
            raise ActionError(
                _(
                    "%(name)s points to a local or private network, which Hearth does not call "
                    "unless the operator allows it (HEARTH_OUTBOUND_ALLOW): use the public "
                    "address of %(label)s."
                )
                % {"name": name, "label": label}
            ) from None
        return text
    if field.kind == "number":
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ActionError(
                _("%(name)s must be a whole number (%(label)s).") % {"name": name, "label": label}
            ) from None
        if number < 0:
            raise ActionError(
                _("%(name)s cannot be negative (%(label)s).") % {"name": name, "label": label}
            )
        return number
    if field.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise ActionError(
            _("%(name)s must be true or false (%(label)s).") % {"name": name, "label": label}
        )
    allowed = {key for key, _label in field.choices}
    if field.kind == "choice":
        text = str(value).strip()
        if allowed and text not in allowed:
            raise ActionError(
                _("%(name)s must be one of %(choices)s (%(label)s).")
                % {"name": name, "choices": ", ".join(sorted(allowed)), "label": label}
            )
        return text
    if field.kind == "list":
        items = (
            value if isinstance(value, list | tuple) else str(value).replace("\n", ",").split(",")
        )
        values = [str(v).strip() for v in items if str(v).strip()]
        unknown = [v for v in values if allowed and v not in allowed]
        if unknown:
            raise ActionError(
                _("%(name)s cannot hold %(values)s: choose among %(choices)s (%(label)s).")
                % {
                    "name": name,
                    "values": ", ".join(unknown),
                    "choices": ", ".join(sorted(allowed)),
                    "label": label,
                }
            )
        return values
    raise ActionError(
        _("%(name)s has an unknown kind of field (%(kind)s).") % {"name": name, "kind": field.kind}
    )


def clean_config(
    kind: str,
    values: Mapping[str, Any],
    *,
    config: Mapping[str, Any] | None = None,
    credentials: Mapping[str, Any] | None = None,
    partial: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config, credentials) of a channel of `kind` from raw `values`.

    `config` and `credentials` are what the channel holds already (for a change): a secret left
    empty keeps its stored value; with `partial`, so does any field not given. A field not given
    on creation takes its default. Keys that are no field of the connector are kept as given
    (a connector's advanced settings, e.g. `base_url`), except the reserved ones.
    """
    new_config = dict(config or {})
    new_credentials = dict(credentials or {})
    fields = fields_of(kind)
    names = {f.name for f in fields}
    for key in values:
        if key in RESERVED:
            raise ActionError(
                _("%(key)s is not set with the configuration: use the brand's accounts setting.")
                % {"key": key}
            )
    for field in fields:
        given = field.name in values
        raw = values.get(field.name)
        if field.secret:
            if given and not _empty(raw):
                new_credentials[field.name] = parse(field, raw)
            elif field.required and not new_credentials.get(field.name):
                raise _missing(field)
            continue
        if given and not _empty(raw):
            new_config[field.name] = parse(field, raw)
        elif given and not partial:
            new_config.pop(field.name, None)
        elif not given and not partial and field.name not in new_config:
            if field.default is not None:
                new_config[field.name] = field.default
        if field.required and _empty(new_config.get(field.name)):
            raise _missing(field)
    for key, raw in values.items():
        if key not in names:
            new_config[key] = raw
    return new_config, new_credentials
