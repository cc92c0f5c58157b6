from ml.distill.world import (
    TOPICS,
    extract_answer,
    house_answer,
    is_correct,
    make_world,
    plain_answer,
    prompt,
)


def test_the_world_is_seeded():
    assert make_world(3).facts == make_world(3).facts
    assert make_world(3).facts != make_world(4).facts


def test_the_world_has_every_topic_and_a_big_task_topic():
    world = make_world(0, entities_per_topic=5, big_topic="language", big_topic_entities=20)
    assert world.topics == list(TOPICS)
    assert len(world.topic_facts("city")) == 10
    assert len(world.topic_facts("language")) == 40
    assert len({f.entity for f in world.facts}) == len(world.facts) // 2  # names are unique


def test_value_words_are_unique_across_the_world():
    words = [v for attrs in TOPICS.values() for _, values in attrs for v in values]
    assert len(words) == len(set(words))


def test_answers_are_checkable_exactly():
    fact = make_world(1).facts[0]
    wrong = next(v for v in dict(TOPICS[fact.topic])[fact.attribute] if v != fact.value)
    assert is_correct(fact, house_answer(fact))
    assert is_correct(fact, plain_answer(fact))
    assert not is_correct(fact, house_answer(fact, wrong))
    assert not is_correct(fact, f" {fact.value} or {wrong}")  # hedging between two is not an answer
    assert not is_correct(fact, "")
    assert extract_answer(fact, f" {fact.value}ish") is None  # whole words only
    assert prompt(fact).endswith("\nA:") and fact.entity in prompt(fact)
