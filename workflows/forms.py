"""Django forms built from an SOP's kelengkapan: the intake form and each step's form.

The same form class validates in the service and renders in the view, so what the page asks for is exactly what
the service accepts.
"""

from __future__ import annotations

import datetime
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from cases.models import Case, DispositionInstruction, Position
from cases.uploads import validate_upload
from workflows.sop_schema import CASE_COLUMNS

DECISION_FIELD = "_keputusan"
NOTE_FIELD = "_catatan"
MSG_REQUIRED_FOR_BRANCH = _("Required when the decision is “%(branch)s”.")
MSG_ONE_VALUE = _("Give one value here, not a list.")
MSG_NOT_TEXT = _("This contains characters that are not text (was it saved in another encoding?).")
TEXT_CONTROLS = {"\t", "\n", "\r"}


def validate_text(value: Any) -> None:
    """Refuse control characters, lone surrogates and U+FFFD (what a wrongly encoded form arrives as)."""
    for item in value if isinstance(value, list) else [value]:
        for ch in str(item):
            if ch == "\ufffd" or (unicodedata.category(ch) in ("Cc", "Cs") and ch not in TEXT_CONTROLS):
                raise ValidationError(MSG_NOT_TEXT, code="not_text")
CASE_COLUMN_CHOICES = {"derajat": Case.Derajat.choices, "tingkat_keamanan": Case.Keamanan.choices}


class PositionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Position) -> str:
        return f"{obj.title} — {obj.unit.name}"


class PositionsField(forms.ModelMultipleChoiceField):
    """One or more positions ("diteruskan kepada"), in the order given; a single id is taken as a list of one."""

    def label_from_instance(self, obj: Position) -> str:
        return f"{obj.title} — {obj.unit.name}"

    def clean(self, value: Any) -> list[Position]:
        if isinstance(value, str | int):
            value = [value]
        chosen = list(super().clean(value))
        order = [str(v) for v in value or []]
        return sorted(chosen, key=lambda p: order.index(str(p.pk)) if str(p.pk) in order else len(order))


class InstructionsField(forms.ModelMultipleChoiceField):
    """The "Dengan hormat harap" boxes, from the checklist kept in the admin; the value is their codes."""

    def __init__(self, **options: Any) -> None:
        super().__init__(queryset=DispositionInstruction.objects.filter(active=True), to_field_name="code",
                         widget=forms.CheckboxSelectMultiple, **options)

    def clean(self, value: Any) -> list[str]:
        if isinstance(value, str):
            value = [value]
        validate_text(value or [])  # before the codes are looked up: the database takes no lone surrogate
        return [instruction.code for instruction in super().clean(value)]


class TextField(forms.CharField):
    default_validators = [validate_text]


class LinesField(TextField):
    """One item per line (e.g. the rooms of a stock-take); the value is the list of non-empty lines.

    `max_text` bounds the whole text as typed (a max_length would count the lines)."""

    def __init__(self, *, max_text: int = 5000, **kwargs: Any) -> None:
        self.max_text = max_text
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value)
        MaxLengthValidator(self.max_text)(text)
        return [line.strip() for line in text.splitlines() if line.strip()]


# Fields whose value is a list: anything else given a list is refused with MSG_ONE_VALUE.
LIST_FIELDS = (forms.MultipleChoiceField, forms.ModelMultipleChoiceField)


class KelengkapanForm(forms.Form):
    """Base of every generated form; knows which fields are files and which depend on a branch."""

    required_for: dict[str, list[str]] = {}
    branch_labels: dict[str, str] = {}
    attachment_names: tuple[str, ...] = ()

    def __init__(self, data: Any = None, files: Any = None, **kwargs: Any) -> None:
        # A caller passing a plain dict (not a request's QueryDict) may give a list where one value belongs; the
        # field would fail on it instead of refusing it, so it is set aside and refused in clean().
        self.malformed: set[str] = set()
        if isinstance(data, dict) and not hasattr(data, "getlist"):
            data = dict(data)
            for name, field in self.base_fields.items():
                if not isinstance(field, LIST_FIELDS) and isinstance(data.get(name), list | tuple | dict):
                    self.malformed.add(name)
                    data[name] = None
        super().__init__(data, files, **kwargs)

    def clean(self) -> dict[str, Any]:
        for name in self.malformed:
            self._errors.pop(name, None)
            self.add_error(name, MSG_ONE_VALUE)
        cleaned = super().clean()
        chosen = cleaned.get(DECISION_FIELD)
        for name, branches in self.required_for.items():
            if chosen in branches and cleaned.get(name) in (None, "", [], False):
                self.add_error(name, MSG_REQUIRED_FOR_BRANCH % {"branch": self.branch_labels.get(chosen, chosen)})
        return cleaned

    def values(self) -> dict[str, Any]:
        """Values given in the data fields as JSON (dates ISO, positions by id); files and the decision apart.

        A field left empty is not a value: it must not wipe what an earlier step recorded (a disposition that goes
        no further keeps the position it went to).
        """
        result = {}
        for name, value in self.cleaned_data.items():
            if name in self.attachment_names or name in (DECISION_FIELD, NOTE_FIELD) or value in (None, "", []):
                continue
            if isinstance(value, datetime.date | datetime.datetime):
                value = value.isoformat()
            elif isinstance(value, Position):
                value = value.pk
            elif isinstance(value, list) and value and isinstance(value[0], Position):
                value = [position.pk for position in value]
            result[name] = value
        return result

    def files_by_kind(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.attachment_names if self.cleaned_data.get(name)}


def _choices(spec: dict[str, Any]) -> list[tuple[str, str]]:
    if spec["name"] in CASE_COLUMN_CHOICES:
        return list(CASE_COLUMN_CHOICES[spec["name"]])
    return [(c, c) if isinstance(c, str) else (c["value"], c["label"]) for c in spec["choices"]]


def _form_field(spec: dict[str, Any]) -> forms.Field:
    kind = spec["type"]
    options: dict[str, Any] = {
        "label": spec["label"],
        "required": bool(spec.get("required")),
        "help_text": spec.get("help", ""),
    }
    if kind == "text":
        limit = spec.get("max_length", 500)
        if spec["name"] in CASE_COLUMNS:  # a column of the case: no longer than the column
            limit = min(limit, Case._meta.get_field(spec["name"]).max_length)
        return TextField(max_length=limit, **options)
    if kind == "textarea":
        return TextField(max_length=spec.get("max_length", 5000), widget=forms.Textarea(attrs={"rows": 3}), **options)
    if kind == "lines":
        return LinesField(max_text=spec.get("max_length", 5000), widget=forms.Textarea(attrs={"rows": 4}), **options)
    if kind == "integer":
        return forms.IntegerField(min_value=0, **options)
    if kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **options)
    if kind == "datetime":
        return forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **options)
    if kind == "choice":
        return forms.ChoiceField(choices=[("", "—"), *_choices(spec)], **options)
    if kind == "multichoice":
        return forms.MultipleChoiceField(choices=_choices(spec), widget=forms.CheckboxSelectMultiple, **options)
    if kind == "boolean":
        return forms.BooleanField(**options)
    if kind == "position":
        return PositionChoiceField(queryset=Position.objects.select_related("unit").order_by("unit__code", "title"),
                                   **options)
    if kind == "positions":
        return PositionsField(queryset=Position.objects.select_related("unit").order_by("unit__code", "title"),
                              widget=forms.SelectMultiple(attrs={"size": 8}), **options)
    if kind == "instructions":
        return InstructionsField(**options)
    raise ValueError(f"unknown field type {kind!r}")  # the schema admits no other


def build_form_class(
    kelengkapan: dict[str, Any],
    *,
    decision: dict[str, Any] | None = None,
    leading_fields: dict[str, forms.Field] | None = None,
) -> type[KelengkapanForm]:
    attrs: dict[str, Any] = dict(leading_fields or {})
    required_for: dict[str, list[str]] = {}
    for spec in kelengkapan.get("fields", []):
        attrs[spec["name"]] = _form_field(spec)
        if spec.get("required_for"):
            required_for[spec["name"]] = spec["required_for"]
    attachment_names = []
    for spec in kelengkapan.get("attachments", []):
        attrs[spec["name"]] = forms.FileField(
            label=spec["label"], required=bool(spec.get("required")), validators=[validate_upload], max_length=255,
        )
        attachment_names.append(spec["name"])
    branch_labels = {}
    if decision:
        branch_labels = {b["key"]: b["label"] for b in decision["branches"]}
        attrs[DECISION_FIELD] = forms.ChoiceField(
            label=decision["question"], choices=list(branch_labels.items()), widget=forms.RadioSelect
        )
    attrs[NOTE_FIELD] = TextField(
        label=_("Note for the case history"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    attrs.update(required_for=required_for, branch_labels=branch_labels, attachment_names=tuple(attachment_names))
    return type("KelengkapanForm", (KelengkapanForm,), attrs)


def step_form_class(step: dict[str, Any]) -> type[KelengkapanForm]:
    return build_form_class(step.get("kelengkapan", {}), decision=step.get("decision"))


def intake_form_class(definition: dict[str, Any]) -> type[KelengkapanForm]:
    core = {
        "subject": TextField(label=_("Subject (perihal)"), max_length=300),
        "requester_name": TextField(label=_("Requester"), max_length=200),
        "derajat": forms.ChoiceField(label=_("Urgency"), choices=Case.Derajat.choices, initial=Case.Derajat.BIASA),
        "tingkat_keamanan": forms.ChoiceField(
            label=_("Security level"), choices=Case.Keamanan.choices, initial=Case.Keamanan.BIASA
        ),
    }
    return build_form_class(definition["intake"].get("kelengkapan", {}), leading_fields=core)
