"""Play Wordle and Twenty Questions in a real browser: type a move, press Enter, until the game ends."""

import pytest

from annotate.dialogue import services
from annotate.dialogue.models import Game
from ml.rl.policies import scripted_policy
from tests.e2e.conftest import login
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def start(page, live_server, task: str) -> Game:
    page.goto(f"{live_server.url}/play/")
    page.select_option("#id_task", task)
    page.fill("#id_seed", "3")
    with page.expect_navigation():
        page.click("#start-form button[type=submit]")
    return Game.objects.get(pk=int(page.url.rstrip("/").split("/")[-1]))


def type_move(page, text: str) -> None:
    """Type into the focused move field and press Enter; wait for the panel to come back."""
    turn = page.locator("#game-panel").get_attribute("data-turn")
    assert page.evaluate("document.activeElement.id") == "move-input"
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_function("t => document.getElementById('game-panel').dataset.turn !== t", arg=turn)


def test_play_wordle_and_twenty_questions(page, live_server):
    UserFactory(username="ada")
    login(page, live_server, "ada", PASSWORD)

    game = start(page, live_server, "wordle")
    moves = 0
    while page.locator("#move-input").count():
        game.refresh_from_db()
        env, _ = services.build_env(game)
        type_move(page, scripted_policy("wordle")(env, list(env.history)).replace(" ", ""))
        moves += 1
        assert page.locator(".dlg-wordle .dlg-row").count() == moves
    assert "Finished" in page.locator("#game-result").inner_text()
    assert page.locator(".dlg-wordle .dlg-row").last.locator(".tile.correct").count() == 5
    game.refresh_from_db()
    assert game.status == "finished" and sum(t["is_action"] for t in game.turns) == moves

    game = start(page, live_server, "twenty_questions")
    for question in ("Is it an animal?", "Is it bigger than a breadbox?", "Does it have wheels?"):
        type_move(page, question)
        reply = page.locator(".dlg-history li.observation .text").last.inner_text()
        assert reply.strip() in ("Yes.", "No.")
    env, _ = services.build_env(game)
    type_move(page, f"Is it a {env.secret['object']}?")
    result = page.locator("#game-result").inner_text()
    assert "Finished" in result and "Return -3" in result
    page.click("text=Replay this game")
    assert page.locator(".dlg-history li").count() == 9


def test_maze_moves_by_digit_shortcuts(page, live_server):
    UserFactory(username="alan")
    login(page, live_server, "alan", PASSWORD)
    game = start(page, live_server, "maze_fo")
    assert page.locator(".dlg-maze span.here").count() == 1
    turn = page.locator("#game-panel").get_attribute("data-turn")
    page.keyboard.press("1")  # the first legal-move button: "move up"
    page.wait_for_function("t => document.getElementById('game-panel').dataset.turn !== t", arg=turn)
    game.refresh_from_db()
    assert game.turns[1] == {
        "text": "move up\n",
        "is_action": True,
        "reward": game.turns[1]["reward"],
        "by": "human",
    }
    assert page.evaluate("document.activeElement.id") == "move-input"


def test_the_page_polls_while_a_model_partner_thinks(page, live_server, celery_worker_process, tmp_path):
    """A real Celery worker plays a tiny checkpoint as the questioner; the person answers as the oracle."""
    from evalhub.models import ModelCheckpoint
    from ml.lm.models import tiny_gpt2
    from ml.lm.tokenizers import char_tokenizer
    from ml.lm.train import save_checkpoint

    tokenizer = char_tokenizer(["abcdefghijklmnopqrstuvwxyz ?.,:;0123456789\n"])
    model = tiny_gpt2(len(tokenizer), block_size=512, n_embd=32, n_head=2, n_layer=1)
    path = save_checkpoint(model, tokenizer, tmp_path / "agent")
    checkpoint = ModelCheckpoint.objects.create(name="tiny-questioner", kind="agent", path=str(path))
    UserFactory(username="grace")
    login(page, live_server, "grace", PASSWORD)
    page.goto(f"{live_server.url}/play/")
    page.select_option("#id_task", "twenty_questions")
    page.select_option("#id_role", "counterpart")
    page.select_option("#id_partner", f"checkpoint:{checkpoint.pk}")
    with page.expect_navigation():
        page.click("#start-form button[type=submit]")
    page.wait_for_selector("#move-input", timeout=60_000)  # polled in once the worker has moved
    assert page.locator(".dlg-history li.action.by-agent").count() == 1
    type_move(page, "No.")
    page.wait_for_selector("#move-input", timeout=60_000)
    assert page.locator(".dlg-history li.action.by-agent").count() == 2
