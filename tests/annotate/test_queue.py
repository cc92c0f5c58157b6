import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from annotate.models import Assignment, Response
from annotate.queue import QueueError, next_assignment, submit
from tests.factories import ItemFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_least_annotated_first_and_k_per_item():
    study = StudyFactory(annotations_per_item=2)
    items = [ItemFactory(study=study) for _ in range(3)]
    users = [UserFactory() for _ in range(6)]
    served = []
    for user in users:
        a = next_assignment(study, user)
        served.append(a.item_id)
        submit(a.pk, user, {"choice": 1})
    # Round-robin over items before any item gets its second annotator, and never a third.
    assert served[:3] == [i.pk for i in items]
    assert sorted(served) == sorted([i.pk for i in items] * 2)
    assert next_assignment(study, UserFactory()) is None


def test_resume_current_assignment_and_cap():
    study = StudyFactory(max_items_per_annotator=1)
    ItemFactory.create_batch(3, study=study)
    user = UserFactory()
    first = next_assignment(study, user)
    assert next_assignment(study, user).pk == first.pk
    submit(first.pk, user, {"x": 1})
    assert next_assignment(study, user) is None


def test_submit_is_idempotent_per_round():
    study = StudyFactory()
    ItemFactory(study=study)
    user = UserFactory()
    a = next_assignment(study, user)
    first = submit(a.pk, user, {"v": 1})
    again = submit(a.pk, user, {"v": 1})
    assert first.created and not again.created
    assert Response.objects.count() == 1


def test_submit_refuses_other_annotators_assignment():
    study = StudyFactory()
    ItemFactory(study=study)
    owner, other = UserFactory(), UserFactory()
    a = next_assignment(study, owner)
    with pytest.raises(QueueError) as err:
        submit(a.pk, other, {"v": 1})
    assert err.value.status == 404


def test_expired_assignment_is_released_to_others():
    study = StudyFactory(assignment_timeout_s=60)
    item = ItemFactory(study=study)
    slow, fast = UserFactory(), UserFactory()
    a = next_assignment(study, slow)
    later = timezone.now() + timedelta(seconds=120)
    b = next_assignment(study, fast, now=later)
    assert b.item_id == item.pk
    a.refresh_from_db()
    assert a.status == Assignment.Status.EXPIRED
    # The slow annotator's late answer is refused with a clear conflict rather than over-counting.
    with pytest.raises(QueueError) as err:
        submit(a.pk, slow, {"late": True})
    assert err.value.status == 409


def test_responses_are_immutable():
    study = StudyFactory()
    ItemFactory(study=study)
    user = UserFactory()
    a = next_assignment(study, user)
    response = submit(a.pk, user, {"v": 1}).response
    response.answer = {"v": 2}
    with pytest.raises(Exception, match="immutable"):
        response.save()
    with pytest.raises(Exception, match="immutable"):
        response.delete()


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_over_assign():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("in-memory SQLite cannot be shared between threads; covered by the load benchmark")
    study = StudyFactory(annotations_per_item=2)
    ItemFactory.create_batch(10, study=study)
    users = [UserFactory() for _ in range(12)]
    errors = []

    def work(user):
        try:
            while (a := next_assignment(study, user)) is not None:
                submit(a.pk, user, {"ok": True})
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    per_item = {}
    for r in Response.objects.all():
        per_item[r.item_id] = per_item.get(r.item_id, 0) + 1
    assert sorted(per_item.values()) == [2] * 10


@pytest.mark.django_db(transaction=True)
def test_claim_outside_a_transaction_fills_a_slot_left_by_an_expired_assignment():
    # Outside a transaction PostgreSQL takes the one-statement claim, which guesses the slot from the
    # live count; after an expiry that guess collides and the general path must find the gap.
    study = StudyFactory(annotations_per_item=2, assignment_timeout_s=60)
    item = ItemFactory(study=study)
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    a = next_assignment(study, first)
    later = timezone.now() + timedelta(seconds=30)
    b = next_assignment(study, second, now=later)
    assert (a.item_id, a.slot, b.item_id, b.slot) == (item.pk, 0, item.pk, 1)
    # The first expires; the third annotator gets slot 0 back, never a third live slot.
    c = next_assignment(study, third, now=timezone.now() + timedelta(seconds=75))
    assert c is not None and c.slot == 0
    live = Assignment.objects.filter(item=item).exclude(status=Assignment.Status.EXPIRED)
    assert sorted(live.values_list("slot", flat=True)) == [0, 1]
    item.refresh_from_db()
    assert item.n_assigned == 2


@pytest.mark.django_db(transaction=True)
def test_claim_outside_a_transaction_returns_the_item_payload():
    study = StudyFactory()
    item = ItemFactory(study=study, payload={"text": "hello"})
    user = UserFactory()
    a = next_assignment(study, user)
    assert a.item.payload == {"text": "hello"} and a.item.external_id == item.external_id
    assert Assignment.objects.get(pk=a.pk).annotator_id == user.pk
    assert next_assignment(study, UserFactory()) is None


@pytest.mark.django_db(transaction=True)
def test_submit_outside_a_transaction_records_counts_and_logs_once():
    # Outside a transaction PostgreSQL takes the one-statement submit; the outcome must be the same.
    from annotate.models import Event, Item

    study = StudyFactory()
    ItemFactory(study=study)
    user, stranger = UserFactory(), UserFactory()
    a = next_assignment(study, user)
    with pytest.raises(QueueError) as err:
        submit(a.pk, stranger, {"v": 0})
    assert err.value.status == 404
    first = submit(a.pk, user, {"v": 1}, displayed_order=["b", "a"], active_time_ms=1200)
    again = submit(a.pk, user, {"v": 1})
    assert first.created and not again.created and again.response.pk == first.response.pk
    stored = Response.objects.get()
    assert (stored.answer, stored.displayed_order, stored.active_time_ms) == ({"v": 1}, ["b", "a"], 1200)
    assert stored.served_at == a.served_at
    a.refresh_from_db()
    assert a.status == Assignment.Status.DONE and a.completed_at is not None
    assert Item.objects.get().n_done == 1
    assert Event.objects.filter(verb="assignment.done", object_id=str(a.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_resuming_outside_a_transaction_returns_the_stored_state():
    study = StudyFactory()
    ItemFactory.create_batch(2, study=study)
    user = UserFactory()
    first = next_assignment(study, user)
    Assignment.objects.filter(pk=first.pk).update(state={"round": 2})
    again = next_assignment(study, user)
    assert again.pk == first.pk and again.state == {"round": 2}
    assert Assignment.objects.filter(annotator=user).count() == 1
