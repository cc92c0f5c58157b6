"""factory_boy factories shared by every test module."""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from annotate.models import Item, Study
from annotate.roles import make_researcher
from evalhub.models import Run

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AdminFactory(UserFactory):
    is_staff = True
    is_superuser = True


class ResearcherFactory(UserFactory):
    @factory.post_generation
    def researcher(obj, create, extracted, **kwargs):
        if create:
            make_researcher(obj)


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study

    name = factory.Sequence(lambda n: f"Study {n}")
    kind = Study.Kind.LABELS
    owner = factory.SubFactory(ResearcherFactory)
    annotations_per_item = 1


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    study = factory.SubFactory(StudyFactory)
    external_id = factory.Sequence(lambda n: f"item-{n}")
    payload = factory.LazyAttribute(lambda i: {"text": f"payload of {i.external_id}"})


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Run

    kind = "lm.train_tiny"
    params = factory.LazyFunction(dict)
    owner = factory.SubFactory(ResearcherFactory)
    created_at = factory.LazyFunction(timezone.now)
