import json

from ml.rl.envs.make_dataset import main
from ml.rl.envs.trajectories import read_jsonl


def test_the_command_writes_a_dataset_with_its_generator_and_seed(tmp_path, capsys):
    out = tmp_path / "wordle.jsonl"
    main(["wordle", "--n", "5", "--seed", "3", "--out", str(out)])

    summary = json.loads(capsys.readouterr().out)
    assert summary["n"] == 5 and summary["path"] == str(out)
    head, games = read_jsonl(out)
    assert head["task"] == "wordle" and head["seed"] == 3 and head["generator"].startswith("behaviour:")
    assert len(list(games)) == 5
