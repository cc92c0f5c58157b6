"""The run form, generated from the experiment registry: one field per Param, validated by the registry."""

from typing import Any

from django import forms

from ml import experiments
from ml.experiments import Experiment, Param, ParamError


def experiment_choices() -> list[tuple[str, str]]:
    return [(e.name, f"{e.title} ({e.name})") for e in experiments.all_experiments()]


def field_for(param: Param) -> forms.Field:
    """A form field mirroring the Param: its type, default, help text, bounds and choices."""
    common: dict[str, Any] = {"label": param.name, "help_text": param.help, "initial": param.default}
    if param.choices is not None:
        return forms.TypedChoiceField(
            choices=[(c, c) for c in param.choices], coerce=param.type, empty_value=param.default, **common
        )
    if param.type is bool:
        return forms.BooleanField(required=False, **common)
    bounds = {"min_value": param.min, "max_value": param.max}
    if param.type is int:
        return forms.IntegerField(**bounds, **common)
    if param.type is float:
        return forms.FloatField(**bounds, **common)
    return forms.CharField(required=False, strip=True, **common)


class RunForm(forms.Form):
    """Choose an experiment; its parameters become fields. The registry has the last word on validity."""

    kind = forms.ChoiceField(label="Experiment")

    def __init__(self, *args, kind: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = experiment_choices()
        self.experiment: Experiment | None = None
        name = kind or (self.data.get("kind") if self.is_bound else None) or self.initial.get("kind")
        if not name and self.fields["kind"].choices:
            name = self.fields["kind"].choices[0][0]
        try:
            self.experiment = experiments.get(name) if name else None
        except ParamError:
            self.experiment = None  # the kind field reports it on validation
        if self.experiment is not None:
            self.initial.setdefault("kind", self.experiment.name)
            for param in self.experiment.params:
                self.fields[param.name] = field_for(param)

    def param_fields(self) -> list[forms.BoundField]:
        return [self[p.name] for p in self.experiment.params] if self.experiment else []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.experiment is None:
            return cleaned
        raw = {p.name: cleaned[p.name] for p in self.experiment.params if p.name in cleaned}
        try:
            cleaned["params"] = self.experiment.validate(raw)
        except ParamError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return cleaned
