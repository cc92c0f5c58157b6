import json

import pytest
from lm_testing import spiky_model

from ml import experiments
from ml.experiments import ParamError
from ml.lm.respond import generate_outputs


def _params(**overrides):
    return experiments.get("lm.generate_outputs").validate(overrides)


@pytest.fixture
def two_models(tmp_path, char_tok):
    dirs = []
    for name, kind in (("alpha", "gpt2"), ("beta", "llama")):
        path = tmp_path / name
        spiky_model(kind, char_tok).save_pretrained(path)
        char_tok.save_pretrained(path)
        dirs.append(str(path))
    return ",".join(dirs)


@pytest.fixture
def prompts(tmp_path):
    path = tmp_path / "prompts.jsonl"
    path.write_text('{"prompt_id": "p1", "prompt": "the cat"}\n\n{"prompt_id": "p2", "prompt": "a dog"}\n')
    return str(path)


def test_every_model_answers_every_prompt_in_the_rating_format(tmp_path, two_models, prompts):
    params = _params(prompts=prompts, models=two_models, max_new_tokens=8, temperature=0)
    result = generate_outputs(params, tmp_path, lambda f, m: None)
    lines = [json.loads(line) for line in (tmp_path / "outputs.jsonl").read_text().splitlines()]
    assert [(r["prompt_id"], r["model"]) for r in lines] == [
        ("p1", "alpha"),
        ("p2", "alpha"),
        ("p1", "beta"),
        ("p2", "beta"),
    ]
    assert all(isinstance(r["output"], str) for r in lines) and result.metrics["outputs"] == 4
    again = tmp_path / "again"
    again.mkdir()
    generate_outputs(params, again, lambda f, m: None)
    assert (again / "outputs.jsonl").read_text() == (tmp_path / "outputs.jsonl").read_text()


def test_bad_inputs_name_the_parameter_or_line(tmp_path, two_models, prompts):
    with pytest.raises(ParamError) as err:
        generate_outputs(_params(prompts=prompts, models=two_models.split(",")[0]), tmp_path, print)
    assert err.value.field == "models"
    with pytest.raises(ParamError) as err:
        generate_outputs(_params(models=two_models), tmp_path, print)
    assert err.value.field == "prompts"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt_id": "p1", "prompt": "ok"}\n{"prompt": "no id"}\n')
    with pytest.raises(ValueError, match="line 2"):
        generate_outputs(_params(prompts=str(bad), models=two_models), tmp_path, print)
