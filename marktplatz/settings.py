"""Marktplatz settings. Everything comes from environment variables (see docs/operations.md);
the defaults run the demo town on SQLite with nothing else installed."""

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import xstatic.pkg.leaflet
from django.utils.translation import gettext_lazy as _

from marktplatz.core.env import (
    email_settings,
    env_bool,
    env_int,
    env_list,
    env_str,
    secret_key_from_env_or_file,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MARKTPLATZ_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = secret_key_from_env_or_file(VAR_DIR)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],.localhost")
# The platform's public address, for links in e-mails and pushes sent by background tasks
# (a town with its own domain is linked on that domain).
SITE_URL = env_str("SITE_URL", "http://localhost:8000")
# Subdomains of this domain name a town: rheinstadt.<BASE_DOMAIN>.
MARKTPLATZ_BASE_DOMAIN = env_str("MARKTPLATZ_BASE_DOMAIN", "localhost")
SITE_NAME = env_str("SITE_NAME", "Marktplatz")

INSTALLED_APPS = [
    # daphne first: its runserver serves HTTP and WebSockets (the chat) from one ASGI server.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "channels",
    "marktplatz.core",
    "marktplatz.cities",
    "marktplatz.audit",
    "marktplatz.ledger",
    "marktplatz.accounts",
    "marktplatz.merchants",
    "marktplatz.loyalty",
    "marktplatz.vouchers",
    "marktplatz.api",
    "marktplatz.wallet",
    "marktplatz.purses",
    "marktplatz.settlement",
    "marktplatz.messenger",
    "marktplatz.chat",
    "marktplatz.orders",
    "marktplatz.notifications",
    "marktplatz.newsletters",
    "marktplatz.dashboard",
    "marktplatz.demo",
]

MIDDLEWARE = [
    "marktplatz.api.middleware.ApiJsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "marktplatz.core.middleware.RejectNulMiddleware",
    "marktplatz.cities.middleware.CityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "marktplatz.cities.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "marktplatz.accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "marktplatz.core.errorpages.ErrorPagesMiddleware",  # innermost: sees the view's 405
]

# The POS API's chain (see marktplatz/wsgi.py): bearer keys and JSON, no sessions or pages.
API_MIDDLEWARE = [
    "marktplatz.api.middleware.ApiJsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "marktplatz.cities.middleware.CityMiddleware",
    "marktplatz.cities.middleware.LanguageMiddleware",
]

ROOT_URLCONF = "marktplatz.urls"
WSGI_APPLICATION = "marktplatz.wsgi.application"
ASGI_APPLICATION = "marktplatz.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "marktplatz" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marktplatz.cities.context_processors.city",
                "marktplatz.accounts.context_processors.money",
                "marktplatz.notifications.context_processors.unread",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'marktplatz.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: a write transaction takes the database lock when it begins, so two
    # writers queue instead of failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mp",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The chat's real-time delivery (Django Channels): with Redis, a message posted on one app
# server reaches the WebSockets held by every other; without it (the demo, one process)
# the in-memory layer.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # socket_timeout above the layer's blocking read of 5 s: redis-py's default is
            # 5 s too, and a read that loses that race kills every socket of the server
            # that was waiting (test_two_servers waits longer than that). redis-py's pool
            # refuses a 101st connection instead of waiting: hundreds of sockets of one
            # server may send at once (bench/chat). The sockets of one process share one
            # queue in Redis, and a message to a full queue is dropped: room for bursts.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "max_connections": 2000}],
                "prefix": "mp-chat",
                "capacity": 5000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: e-mail is the login; verification is mandatory; citizens may log in
# with a code sent by e-mail; failures are throttled per address and per IP.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_ADAPTER = "marktplatz.accounts.adapter.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("LOGIN_FAILED_LIMIT", "10/m/ip,5/15m/key"),
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "request_login_code": "20/m/ip,3/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English")), ("fr", _("French")), ("it", _("Italian"))]
LANGUAGE_COOKIE_NAME = "mp_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "marktplatz" / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [
    BASE_DIR / "marktplatz" / "static",
    ("leaflet", xstatic.pkg.leaflet.BASE_DIR),  # Leaflet from PyPI (XStatic-Leaflet)
]
# The till's QR scanner where the browser has no BarcodeDetector of its own: the npm
# package barcode-detector (ZXing in WebAssembly), from package-lock.json by `npm ci`
# (python3 dev.py demo runs it when npm is there). Without it, typing the number works.
_NODE_MODULES = BASE_DIR / "node_modules"
SCANNER_AVAILABLE = (_NODE_MODULES / "barcode-detector" / "dist" / "iife").is_dir()
if SCANNER_AVAILABLE:
    STATICFILES_DIRS += [
        ("scanner", _NODE_MODULES / "barcode-detector" / "dist" / "iife"),
        ("scanner/wasm", _NODE_MODULES / "zxing-wasm" / "dist" / "reader"),
    ]
# Map tiles for the merchant directory: any XYZ tile server, e.g. the town's own.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_ATTRIBUTION = env_str(
    "MAP_ATTRIBUTION", '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Files that only a view hands out after checking who asks (chat pictures): never served
# by the web server or below MEDIA_URL.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

_email = email_settings(env_str("EMAIL_URL", "console://"))
globals().update(_email)
DEFAULT_FROM_EMAIL = _email.get(
    "DEFAULT_FROM_EMAIL", env_str("DEFAULT_FROM_EMAIL", "Marktplatz <noreply@localhost>")
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# HTTPS=true in production: secure cookies, HSTS and redirects to https.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Only bench/booking sets these: its anchor endpoint (marktplatz.api.anchor), and the
# Python path of earning on PostgreSQL (measured against the one-call PL/pgSQL path).
POS_BENCH_ANCHOR = env_bool("POS_BENCH_ANCHOR", False)
LOYALTY_EARN_SQL = env_bool("LOYALTY_EARN_SQL", True)
# Behind a reverse proxy: the client's address comes from X-Forwarded-For, the entry
# TRUSTED_PROXY_HOPS places from the right (marktplatz.core.clientip); without it the
# header is ignored.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 1)
# Unknown cards, vouchers and reward codes a business may try (all its tills together)
# per window before every lookup is refused for the rest of it (marktplatz.core.throttle).
GUESS_LIMIT = env_int("GUESS_LIMIT", 30)
# Chat messages a person may send per minute (all conversations together).
CHAT_MESSAGES_PER_MINUTE = env_int("CHAT_MESSAGES_PER_MINUTE", 20)
# Web Push (VAPID, RFC 8292): the key that signs pushes (a PEM file; made in VAR_DIR if
# unset: several servers must share one) and the contact the push services may write to.
VAPID_PRIVATE_KEY_FILE = env_str("VAPID_PRIVATE_KEY_FILE", str(VAR_DIR / "vapid_private.pem"))
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:webmaster@localhost")
# Push services are reached over HTTPS; only a local test stand-in may be plain HTTP.
PUSH_ALLOW_HTTP = env_bool("PUSH_ALLOW_HTTP", False)
# Unread chat messages are mailed together, this many seconds after the first one.
CHAT_EMAIL_DELAY_SECONDS = env_int("CHAT_EMAIL_DELAY_SECONDS", 120)
# Orders a citizen may place in an hour (click & collect and delivery).
ORDERS_PER_HOUR = env_int("ORDERS_PER_HOUR", 10)
# Only bench/chat sets it: mounts its WebSocket relay anchor (marktplatz/chat/anchor.py).
CHAT_BENCH_ANCHOR = env_bool("CHAT_BENCH_ANCHOR", False)
GUESS_WINDOW_SECONDS = env_int("GUESS_WINDOW_SECONDS", 600)
# The largest request body the POS API takes (a 413 beyond).
POS_API_MAX_BODY_BYTES = env_int("POS_API_MAX_BODY_BYTES", 64 * 1024)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# An operator's points correction above this many points asks for a confirmation step.
POINTS_ADJUST_CONFIRM_ABOVE = env_int("POINTS_ADJUST_CONFIRM_ABOVE", 1000)

_tiles = urlsplit(MAP_TILE_URL)
_tile_origin = f"{_tiles.scheme}://{_tiles.netloc}"
# A strict Content-Security-Policy: no inline scripts or styles, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", _tile_origin],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Background work (webhook deliveries): the database is the queue, so the demo needs no
# broker; run `manage.py db_worker` on one or more servers in production.
TASKS = {"default": {"BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
# Wallet passes: off unless configured (paths to PEM files / a service account JSON).
WALLET_APPLE_PASS_TYPE_ID = env_str("WALLET_APPLE_PASS_TYPE_ID")
WALLET_APPLE_TEAM_ID = env_str("WALLET_APPLE_TEAM_ID")
WALLET_APPLE_CERT = env_str("WALLET_APPLE_CERT")
WALLET_APPLE_KEY = env_str("WALLET_APPLE_KEY")
WALLET_APPLE_KEY_PASSWORD = env_str("WALLET_APPLE_KEY_PASSWORD")
WALLET_APPLE_WWDR = env_str("WALLET_APPLE_WWDR")
# Push notifications for pass updates (HTTP/2, client certificate = the pass certificate).
WALLET_APPLE_APNS_URL = env_str("WALLET_APPLE_APNS_URL", "https://api.push.apple.com")
# A CA bundle to verify APNs with; empty: the system's (certifi's) trusted CAs.
WALLET_APPLE_APNS_CA = env_str("WALLET_APPLE_APNS_CA")
WALLET_GOOGLE_ISSUER_ID = env_str("WALLET_GOOGLE_ISSUER_ID")
WALLET_GOOGLE_SERVICE_ACCOUNT = env_str("WALLET_GOOGLE_SERVICE_ACCOUNT")
# Webhook targets must be https and public unless these are switched on (tests, intranets).
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", DEBUG)
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

if env_bool("MARKTPLATZ_FAST_HASHER", False):
    # Tests only: hashing passwords slowly buys nothing there.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
