"""Who may see what. Three roles: admins see everything, researchers their own studies and runs,
annotators only the studies they are enrolled in (and only their own assignments)."""

from django.contrib.auth.models import Group
from django.db.models import QuerySet

ADMIN = "admin"
RESEARCHER = "researcher"
ANNOTATOR = "annotator"
RESEARCHER_GROUP = "researchers"


def role_of(user) -> str | None:
    if not user or not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMIN
    if any(g.name == RESEARCHER_GROUP for g in user.groups.all()):
        return RESEARCHER
    return ANNOTATOR


def make_researcher(user) -> None:
    group, _ = Group.objects.get_or_create(name=RESEARCHER_GROUP)
    user.groups.add(group)


def is_admin(user) -> bool:
    return role_of(user) == ADMIN


def can_manage(user, study) -> bool:
    """Edit a study, import items, read every response."""
    role = role_of(user)
    return role == ADMIN or (role == RESEARCHER and study.owner_id == user.pk)


def visible_studies(user) -> QuerySet:
    from annotate.models import Study

    role = role_of(user)
    if role == ADMIN:
        return Study.objects.all()
    if role == RESEARCHER:
        return (Study.objects.filter(owner=user) | Study.objects.filter(annotators=user)).distinct()
    if role == ANNOTATOR:
        return Study.objects.filter(annotators=user, is_active=True)
    return Study.objects.none()


def managed_studies(user) -> QuerySet:
    from annotate.models import Study

    role = role_of(user)
    if role == ADMIN:
        return Study.objects.all()
    if role == RESEARCHER:
        return Study.objects.filter(owner=user)
    return Study.objects.none()
