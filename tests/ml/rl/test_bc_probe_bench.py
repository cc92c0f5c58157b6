"""bench/rl_bc_probe.py: the held-out states it probes and the move probabilities it reads."""

import json
import string

import pytest
import torch

from ml.lm.models import tiny_gpt2
from ml.lm.tokenizers import char_tokenizer
from ml.rl.envs import maze
from ml.rl.envs.datasets import generate
from tests.bench_scripts import load_bench


@pytest.fixture(scope="module")
def bench():
    return load_bench("rl_bc_probe")


def test_held_out_states_pair_each_history_with_the_solvers_move(bench, tmp_path):
    data = tmp_path / "maze.jsonl"
    generate("maze_fo", 5, 3, data)
    states = bench.held_out_states(data, limit=30)
    assert len(states) == 30
    for history, move in states:
        last_line = history.rstrip("\n").rsplit("\n", 1)[-1]
        row, col = map(int, bench.POSITION.search(last_line).groups())
        assert maze.MOVES[move] == maze.BEST_MOVE[maze.cell_of((row, col))]


def test_move_logprobs_match_scoring_each_full_text(bench):
    torch.manual_seed(0)
    tokenizer = char_tokenizer([string.printable])
    model = tiny_gpt2(len(tokenizer), n_layer=1, n_embd=16, n_head=2, block_size=128).eval()
    prompts = ["You are at (3, 5). The goal is at (8, 6). Walls: up.\n", "Walls: none.\nmove up\n" * 9]
    got = bench.move_logprobs(model, tokenizer, prompts, block_size=128)
    assert torch.allclose(got.exp().sum(-1), torch.ones(2), atol=1e-5)
    keep = 128 - bench.MAX_NEW_TOKENS
    for row, prompt in enumerate(prompts):
        context = [tokenizer.bos_token_id, *tokenizer(prompt, add_special_tokens=False)["input_ids"]][-keep:]
        totals = []
        for move in maze.MOVES:
            move_ids = tokenizer(move + "\n", add_special_tokens=False)["input_ids"]
            ids = torch.tensor([context + move_ids])
            with torch.no_grad():
                logp = model(input_ids=ids).logits.log_softmax(-1)[0]
            totals.append(sum(logp[len(context) - 1 + i, tok] for i, tok in enumerate(move_ids)))
        expected = torch.stack(totals).log_softmax(-1)
        assert torch.allclose(got[row], expected, atol=1e-4)


def test_probe_reads_a_uniform_model_as_uniform(bench):
    states = [("x", 0), ("y", 3)]
    uniform = torch.full((2, 4), 0.25).log()
    stats = bench.summarise_move_logprobs(uniform, states)
    assert stats["p_solver"] == 0.25
    assert stats["kl_from_behaviour"] == pytest.approx(bench._uniform_kl(), abs=1e-4)


def test_checkpoints_are_probed_as_saved_and_a_bad_path_is_a_usage_error(bench, tmp_path, capsys):
    from ml.rl.trainer import RLConfig, train

    data = tmp_path / "maze.jsonl"
    generate("maze_fo", 10, 0, data)
    cfg = RLConfig(dataset=str(data), steps=2, n_layer=1, n_embd=16, n_head=2, block_size=128)
    checkpoint = train(cfg, tmp_path / "bc").checkpoint

    assert bench.main(["--checkpoints", str(checkpoint), "--states", "5", "--episodes", "2"]) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert row["checkpoint"] == str(checkpoint)
    assert 0 <= row["p_solver"] <= 1 and 0 <= row["argmax_is_solver"] <= 1
    assert {"score_greedy", "score_t1", "success_greedy", "unparseable_t1"} <= set(row)

    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--checkpoints", str(tmp_path / "nowhere")])
    assert exit_info.value.code == 2
    assert "not a model directory" in capsys.readouterr().err
