import json

import pytest
from apel_testing import tiny_lm_dir

from ml import experiments
from ml.apel.experiments import propose_candidates, simulate
from ml.apel.lm_candidates import build_prompt
from ml.experiments import ParamError


def _params(name, **overrides):
    return experiments.get(name).validate(overrides)


def test_simulate_reports_the_benchmark_figures_and_a_plot(spider_dir, tmp_path):
    calls = []
    result = simulate(
        _params("apel.simulate", spider_dir=str(spider_dir), limit=2), tmp_path, lambda f, m: calls.append(f)
    )
    assert result.metrics["n"] == 2 and 0 <= result.metrics["posterior_top1_acc"] <= 1
    assert calls[-1] == 1.0
    kinds = {a.kind for a in result.artifacts}
    assert kinds == {"metrics", "plot"} and all(a.path.exists() for a in result.artifacts)


def test_proposed_candidates_are_an_importable_utterances_file(spider_dir, schema, tmp_path):
    pytest.importorskip("torch")
    model = tiny_lm_dir(tmp_path / "lm", build_prompt(schema, "How many singers?"))
    params = _params("apel.propose_candidates", spider_dir=str(spider_dir), model=str(model), limit=2)
    result = propose_candidates(params, tmp_path, lambda f, m: None)
    lines = [json.loads(line) for line in (tmp_path / "utterances.jsonl").read_text().splitlines()]
    assert result.metrics["questions"] == 2 and len(lines) == 2
    assert all({"id", "question", "candidates", "gold_sql"} <= set(line) for line in lines)
    assert 0 <= result.metrics["coverage"] <= 1


def test_bad_folders_and_models_name_the_parameter(tmp_path):
    with pytest.raises(ParamError) as err:
        simulate(_params("apel.simulate", spider_dir=str(tmp_path)), tmp_path, lambda f, m: None)
    assert err.value.field == "spider_dir"
    with pytest.raises(ParamError) as err:
        propose_candidates(
            _params("apel.propose_candidates", model=str(tmp_path / "nope")), tmp_path, lambda f, m: None
        )
    assert err.value.field == "model"
