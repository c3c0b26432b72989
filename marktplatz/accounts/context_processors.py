from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from marktplatz.accounts.permissions import two_factor_passed
from marktplatz.accounts.selectors import user_has_totp


def money(request: HttpRequest) -> dict:
    """``money_ok``: whether this session may do money actions (pages hide them if not);
    ``money_has_totp``: whether the hint should ask to confirm rather than to set up."""
    user = getattr(request, "user", None)
    return {
        "money_ok": SimpleLazyObject(lambda: two_factor_passed(request)),
        "money_has_totp": SimpleLazyObject(
            lambda: bool(user and user.is_authenticated and user_has_totp(user=user))
        ),
    }
