"""Importing outputs: pairs per prompt, reference-only pairs, gold and attention pairs, and every bad
input refused with its line named and nothing written."""

import json

import pytest

from annotate.models import Item, Study
from annotate.rating import services
from tests.annotate.rating.conftest import MODELS, jsonl, outputs
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def test_every_pair_by_default(make_study):
    study = make_study()
    real = study.items.filter(is_gold=False)
    assert real.count() == 6 * 3  # three pairs per prompt with three models
    item = real.get(external_id=f"p0:{MODELS[0]}:{MODELS[1]}")
    assert item.payload["model_a"] == MODELS[0] and item.payload["output_b"].startswith("Answer 0")
    gold = study.items.get(external_id=f"g1:{MODELS[1]}:{MODELS[0]}")
    assert gold.is_gold and gold.gold_answer == {
        "kind": "gold",
        "winner_model": MODELS[0],
        "broken_model": MODELS[1],
    }
    attention = study.items.get(external_id__startswith="a1:")
    assert attention.gold_answer == {"kind": "attention", "choice": "both_bad"}


def test_reference_pairs_only(make_study):
    study = make_study(config={"reference": MODELS[0]})
    real = study.items.filter(is_gold=False)
    assert real.count() == 6 * 2
    assert all(MODELS[0] in (i.payload["model_a"], i.payload["model_b"]) for i in real)
    assert study.config["min_seconds"] == 3 and study.config["likert"] is True


def _line(**fields):
    base = {"prompt_id": "p1", "prompt": "Q?", "model": "m1", "output": "x"}
    return json.dumps({**base, **fields})


BAD = {
    "malformed JSON": ([_line(), _line(model="m2"), "{not json"], "Line 3: not valid JSON"),
    "missing field": ([_line(), _line(model="m2"), _line(prompt_id="p2", output=None)], "Line 3: missing field output"),
    "duplicate model": ([_line(), _line(model="m2"), _line()], "Line 3: duplicate output for prompt 'p1' and model 'm1'"),
    "one output": ([_line(), _line(model="m2"), _line(prompt_id="p2")], "Line 3: prompt 'p2' has fewer than two outputs"),
    "prompt text differs": ([_line(), _line(model="m2", prompt="Other?")], "Line 2: prompt 'p1' has a different prompt"),
    "bad gold": ([_line(), _line(model="m2", gold="yes")], 'Line 2: gold must be "broken"'),
    "bad attention answer": ([_line(), _line(model="m2", attention=True, expected="left")], "Line 2: expected must be"),
    "not an object": ([_line(), _line(model="m2"), "[1, 2]"], "Line 3: each line must be a JSON object"),
    "empty": ([""], "The file has no outputs"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_named_and_nothing_is_imported(owner, case):
    lines, message = BAD[case]
    with pytest.raises(services.RatingImportError) as err:
        services.create_rating_study(owner, "Bad", "\n".join(lines))
    assert any(p["message"].startswith(message) for p in err.value.problems), err.value.problems
    assert not Study.objects.exists() and not Item.objects.exists()


def test_reference_missing_for_a_prompt(owner):
    lines = [_line(), _line(model="m2"), _line(prompt_id="p2", model="m2"), _line(prompt_id="p2", model="m3")]
    with pytest.raises(services.RatingImportError) as err:
        services.create_rating_study(owner, "Bad", "\n".join(lines), config={"reference": "m1"})
    assert err.value.problems[0]["message"] == "Line 3: prompt 'p2' has no 'm1' output."
    assert not Study.objects.exists()


@pytest.mark.parametrize(
    "config, message",
    [
        ({"min_seconds": -1}, "min_seconds"),
        ({"likert": "yes"}, "likert must be"),
        ({"colour": 1}, "Unknown config key 'colour'"),
        ("{nope", "config is not valid JSON"),
    ],
)
def test_bad_config(owner, config, message):
    with pytest.raises(services.RatingImportError) as err:
        services.create_rating_study(owner, "Bad", jsonl(outputs()), config=config)
    assert message in err.value.problems[0]["message"]
    assert not Study.objects.exists()


def test_api_upload(owner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    api = api_client_for(owner)
    upload = SimpleUploadedFile("o.jsonl", jsonl(outputs(2)).encode())
    r = api.post(
        "/api/rating/studies/",
        {
            "name": "Up",
            "outputs": upload,
            "annotations_per_item": 2,
            "config": '{"reference": "ref-oracle-7b"}',
        },
        format="multipart",
    )
    assert r.status_code == 201, r.content
    assert r.json()["items"] == 2 * 2 + 1 + 1 and r.json()["gold"] == 2
    bad = SimpleUploadedFile("o.jsonl", b'{"prompt_id": "p", "prompt": "q", "model": "m", "output": "o"}\n')
    r = api.post("/api/rating/studies/", {"name": "Bad", "outputs": bad}, format="multipart")
    assert r.status_code == 400
    assert r.json()["detail"] == "Line 1: prompt 'p' has fewer than two outputs."
    assert Study.objects.count() == 1
