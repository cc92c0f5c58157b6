"""The demo study: 24 utterances over several schemas, 4 gold, simulated parser candidates."""

from annotate.apel.demo import build_apel_demo
from annotate.models import Study
from ml.apel.canonical import canonical_sql


def test_demo_study_builds(owner):
    study = Study.objects.create(name="demo", kind="apel", owner=owner, annotations_per_item=2)
    build_apel_demo(study)
    items = list(study.items.select_related("apel_label"))
    assert len(items) == 24 and sum(i.is_gold for i in items) == 4
    assert len({i.payload["db_id"] for i in items}) >= 6
    assert all("Simulated parser" in i.payload["note"] for i in items)
    top1 = [
        canonical_sql(i.payload["candidates"][0]["sql"]) == canonical_sql(i.apel_label.reference_sql)
        for i in items
    ]
    assert 0.4 <= sum(top1) / len(top1) <= 0.8
    assert all(len(i.payload["candidates"]) >= 2 for i in items)
