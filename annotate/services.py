"""Small study-level helpers shared by the API and the pages: who may annotate, and progress figures."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from annotate.models import Assignment, Item, Response, Study
from annotate.roles import ADMIN, can_manage, managed_studies, role_of


def is_enrolled(user, study: Study) -> bool:
    return study.annotators.filter(pk=user.pk).exists()


def can_annotate(user, study: Study) -> bool:
    """Enrolled annotators work the queue; a study's managers may too (to try it out)."""
    return user.is_authenticated and (is_enrolled(user, study) or can_manage(user, study))


def annotatable_study(user, pk) -> Study | None:
    """The study if this user may work its queue (enrolled, its owner, or an admin): one query, no
    role lookup, because this sits on the annotation hot path."""
    studies = Study.objects.filter(pk=pk)
    if not user.is_superuser:
        enrolled = Study.annotators.through.objects.filter(study_id=OuterRef("pk"), user_id=user.pk)
        studies = studies.filter(Q(owner=user) | Exists(enrolled))
    return studies.first()


def visible_responses(user) -> QuerySet:
    """Admins: all; researchers: responses in their studies plus their own; annotators: their own."""
    role = role_of(user)
    if role is None:
        return Response.objects.none()
    if role == ADMIN:
        return Response.objects.all()
    return Response.objects.filter(Q(annotator=user) | Q(study__in=managed_studies(user)))


@dataclass
class Progress:
    done: int
    target: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.target) if self.target else 0


def study_progress(study: Study) -> dict:
    """Items, the annotations wanted (items x k), those done, and gold count."""
    counts = Item.objects.filter(study=study).aggregate(
        items=Count("id"), gold=Count("id", filter=Q(is_gold=True))
    )
    done = Assignment.objects.filter(study=study, status=Assignment.Status.DONE).count()
    return {
        "items": counts["items"],
        "gold": counts["gold"],
        "overall": Progress(done, counts["items"] * study.annotations_per_item),
    }


def annotator_progress(study: Study, user) -> Progress:
    """The user's own done count out of what they can do: every item, or their cap."""
    done = Assignment.objects.filter(study=study, annotator=user, status=Assignment.Status.DONE).count()
    n_items = Item.objects.filter(study=study).count()
    cap = study.max_items_per_annotator
    return Progress(done, min(n_items, cap) if cap is not None else n_items)


def per_annotator_counts(study: Study) -> list[dict]:
    """Done and open assignments per annotator, enrolled annotators first (managers only)."""
    rows = (
        Assignment.objects.filter(study=study)
        .values("annotator_id", "annotator__username")
        .annotate(
            done=Count("id", filter=Q(status=Assignment.Status.DONE)),
            active=Count("id", filter=Q(status=Assignment.Status.ACTIVE)),
        )
    )
    by_user = {r["annotator_id"]: r for r in rows}
    result = []
    for user in study.annotators.order_by("username"):
        row = by_user.pop(user.pk, {"done": 0, "active": 0})
        result.append(
            {"username": user.username, "done": row["done"], "active": row["active"], "enrolled": True}
        )
    for row in sorted(by_user.values(), key=lambda r: r["annotator__username"]):
        result.append(
            {
                "username": row["annotator__username"],
                "done": row["done"],
                "active": row["active"],
                "enrolled": False,
            }
        )
    return result
