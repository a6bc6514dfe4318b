"""The guided form of a channel, generated from its connector's `config_fields`.

The form only parses what the browser sends (a checkbox, a list of choices, minutes); the rules
are the action's (`channels.config.clean_config`), shared with the API and the CLI. A secret
field is a password input that is never filled back: left empty, the stored secret is kept.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hearth.channels.actions import has_identity
from hearth.channels.config import fields_of
from hearth.channels.connectors import connector_class
from hearth.channels.connectors.base import ConfigField


def _form_field(field: ConfigField, *, creating: bool, stored: bool) -> forms.Field:
    common: dict[str, Any] = {"label": field.label, "help_text": field.help}
    if field.secret:
        help_text = field.help
        if stored:
            help_text = _("Stored and never shown: leave empty to keep it, or type a new one.")
        return forms.CharField(
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
            required=field.required and creating and not stored,
            label=field.label,
            help_text=help_text,
            strip=True,
        )
    if field.kind == "bool":
        return forms.BooleanField(required=False, **common)
    if field.kind == "number":
        return forms.IntegerField(required=field.required, min_value=0, **common)
    if field.kind == "choice":
        choices = [(k, v) for k, v in field.choices]
        if not field.required:
            choices = [("", "—"), *choices]
        return forms.ChoiceField(required=field.required, choices=choices, **common)
    if field.kind == "list" and field.choices:
        return forms.MultipleChoiceField(
            required=field.required,
            choices=list(field.choices),
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    widget: forms.Widget = forms.TextInput()
    if field.kind == "url":
        widget = forms.URLInput(attrs={"placeholder": "https://"})
    if field.kind == "list":
        common["help_text"] = (
            f"{field.help} {_('Separate them with commas.')}"
            if field.help
            else _("Separate them with commas.")
        )
    return forms.CharField(required=field.required, widget=widget, **common)


def _initial(field: ConfigField, value: Any) -> Any:
    if field.kind == "list" and not field.choices and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


class ChannelForm(forms.Form):
    """Name, polling interval, the connector's fields and the brand's accounts."""

    name = forms.CharField(label=_("Name"), max_length=120)

    def __init__(
        self,
        kind: str,
        *args: Any,
        channel_config: dict[str, Any] | None = None,
        stored_secrets: set[str] | None = None,
        creating: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.config_fields = fields_of(kind)
        connector = connector_class(kind)
        stored = stored_secrets or set()
        config = channel_config or {}
        for field in self.config_fields:
            form_field = _form_field(field, creating=creating, stored=field.name in stored)
            if not field.secret:
                value = config.get(field.name, field.default if creating else None)
                if value is not None:
                    form_field.initial = _initial(field, value)
            self.fields[f"cfg_{field.name}"] = form_field
        if connector.capabilities.fetch:
            default_min = max(1, connector.poll_interval_s // 60)
            self.fields["interval_min"] = forms.IntegerField(
                label=_("Polling interval (minutes)"),
                help_text=_("0: the platform's default (%(minutes)s minutes).")
                % {"minutes": default_min},
                required=False,
                min_value=0,
                max_value=7 * 24 * 60,
                initial=0,
            )
        caps = connector.capabilities
        sends = any(ok for name, ok in caps.matrix() if name not in ("read", "metrics"))
        # A feed has no account of the brand; a push channel or one Hearth answers on has.
        if creating and (sends or caps.push or has_identity(kind)):
            self.fields["brand_author_ids"] = forms.CharField(
                label=_("The brand's accounts on this platform"),
                help_text=_(
                    "Ids of the brand's own accounts, separated by commas: their messages are "
                    "the brand's answers. Learnt from the connection where the platform says."
                ),
                required=False,
            )

    def config_values(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(config, credentials) as the action takes them; secrets left empty are not given."""
        config: dict[str, Any] = {}
        credentials: dict[str, Any] = {}
        for field in self.config_fields:
            value = self.cleaned_data.get(f"cfg_{field.name}")
            if field.secret:
                if value:
                    credentials[field.name] = value
                continue
            config[field.name] = "" if value is None else value
        return config, credentials

    def interval_s(self) -> int:
        return int(self.cleaned_data.get("interval_min") or 0) * 60

    def field_rows(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != "name"]
