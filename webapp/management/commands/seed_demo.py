"""Create the demo accounts and demo studies that `make run` shows. Safe to run again."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from annotate.roles import make_researcher
from webapp import demo


class Command(BaseCommand):
    help = "Create demo users (admin, researcher, annotators) and demo studies; prints the logins."

    def handle(self, *args, **opts):
        login_file = settings.VAR_DIR / "demo_password"
        if not login_file.exists():
            login_file.write_text(secrets.token_urlsafe(9))
            login_file.chmod(0o600)
        password = login_file.read_text().strip()
        User = get_user_model()
        with transaction.atomic():
            admin, created = User.objects.get_or_create(
                username="admin", defaults={"is_staff": True, "is_superuser": True}
            )
            if created:
                admin.set_password(password)
                admin.save()
            researcher, created = User.objects.get_or_create(username="researcher")
            if created:
                researcher.set_password(password)
                researcher.save()
            make_researcher(researcher)
            annotators = []
            for n in range(1, 4):
                user, created = User.objects.get_or_create(username=f"annotator{n}")
                if created:
                    user.set_password(password)
                    user.save()
                annotators.append(user)
            made = demo.create_demo_studies(researcher, annotators)
        for line in made:
            self.stdout.write(f"  {line}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo logins (password for all: {password}): admin (operator), researcher, "
                "annotator1, annotator2, annotator3"
            )
        )
