"""The describe.run settings on the upload page, built from the experiment registry like the run form
(evalhub.forms.field_for), less the two corpus paths, which come from the uploaded files."""

from django import forms

from annotate.hypotheses.services import DESCRIBE, FILE_PARAMS
from evalhub.forms import field_for
from ml import experiments

# Shown up front; the rest of the registry's parameters sit under "More settings".
MAIN_PARAMS = ("text_field", "label_field", "proposer", "verifier", "n_hypotheses", "top_k", "seed")


class DescribeParamsForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for param in experiments.get(DESCRIBE).params:
            if param.name not in FILE_PARAMS:
                self.fields[param.name] = field_for(param)
                # Left empty means the registry's default (the page shows every default filled in).
                self.fields[param.name].required = False

    def params(self) -> dict:
        """The values given; the registry fills in and checks the rest."""
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in MAIN_PARAMS if name in self.fields]

    def more_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in MAIN_PARAMS]
