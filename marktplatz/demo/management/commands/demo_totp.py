"""Print the current TOTP code of a demo login (never of a real account)."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo login."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        import time

        from allauth.mfa import app_settings
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
        from allauth.mfa.utils import decrypt

        from marktplatz.accounts.demo_data import demo_totp_secret
        from marktplatz.accounts.models import User

        if not email.endswith(".example"):
            raise CommandError("Only demo logins (…@….example) have a known secret.")
        user = User.objects.filter(email=email).first()
        if user is None:
            raise CommandError(f"No demo login {email}; run python3 dev.py demo first.")
        authenticator = Authenticator.objects.filter(user=user, type="totp").first()
        if authenticator is None:
            raise CommandError(f"{email} has no two-factor authentication.")
        secret = decrypt(authenticator.data["secret"])
        if secret != demo_totp_secret(email):
            raise CommandError(f"{email} has changed its secret; it is no longer a demo secret.")
        self.stdout.write(
            format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))
        )
