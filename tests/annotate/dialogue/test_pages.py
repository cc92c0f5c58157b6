def test_every_task_has_a_guide_for_players():
    from annotate.dialogue.services import TASK_GUIDE, task_catalog

    assert {t["name"] for t in task_catalog()} == set(TASK_GUIDE)
    assert all("`" not in text for text in TASK_GUIDE.values())  # shown as plain text, not Markdown
