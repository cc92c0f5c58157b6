"""Token authentication with a short per-process memory, because the annotation loop authenticates every
request and the token row almost never changes. A deleted token or a deactivated user stops working
within TOKEN_CACHE_S seconds (and at once in the process that deleted it)."""

import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

_cache: dict[str, tuple[float, object, Token]] = {}
_MAX_ENTRIES = 10_000


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        ttl = getattr(settings, "TOKEN_CACHE_S", 5)
        now = time.monotonic()
        hit = _cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1], hit[2]
        user, token = super().authenticate_credentials(key)
        if ttl > 0:
            if len(_cache) >= _MAX_ENTRIES:
                _cache.clear()
            _cache[key] = (now + ttl, user, token)
        return user, token


@receiver(post_delete, sender=Token)
def _forget_token(sender, instance, **kwargs):
    _cache.pop(instance.key, None)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _forget_users_tokens(sender, instance, **kwargs):
    # A deactivated user (or a changed password) must not keep a remembered token in this process.
    for key in [k for k, (_, user, _) in _cache.items() if user.pk == instance.pk]:
        _cache.pop(key, None)
