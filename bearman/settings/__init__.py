"""Bearman settings, all from the environment (see README, Configuration).

BEARMAN_ENV=embedded (the default) runs on one machine with nothing else installed:
SQLite and a file-system Celery broker under var/, secrets generated once into var/.
BEARMAN_ENV=production refuses to start without its secrets and turns on the
security settings that `manage.py check --deploy` asks for.
"""

import importlib.util
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from .agent import *  # noqa: F403
from .agent import reflection_default
from .api import *  # noqa: F403
from .boot import *  # noqa: F403
from .celery import *  # noqa: F403 (CELERY_* and BEARMAN_POWER_* settings)
from .database import database_config
from .environment import (
    BASE_DIR,
    env_bool,
    env_int,
    env_list,
    env_str,
    generated_secret,
    required_in_production,
    var_dir,
)
from .observability import *  # noqa: F403
from .operations import *  # noqa: F403
from .registration import *  # noqa: F403

BEARMAN_ENV = env_str("BEARMAN_ENV", "embedded").lower()
if BEARMAN_ENV not in {"embedded", "production"}:
    raise ImproperlyConfigured(
        f"BEARMAN_ENV must be 'embedded' or 'production', not {BEARMAN_ENV!r}"
    )
PRODUCTION = BEARMAN_ENV == "production"

SECRET_KEY = required_in_production(
    "BEARMAN_SECRET_KEY",
    PRODUCTION,
    lambda: generated_secret("secret_key", lambda: secrets.token_urlsafe(50)),
)
# Comma-separated Fernet keys: the first encrypts, all decrypt (key rotation).
BEARMAN_FERNET_KEYS = required_in_production(
    "BEARMAN_FERNET_KEYS",
    PRODUCTION,
    lambda: generated_secret("fernet_key", lambda: Fernet.generate_key().decode()),
).split(",")

# The site's enrollment token: an agent presents it to register a node.
BEARMAN_ENROLLMENT_TOKEN = required_in_production(
    "BEARMAN_ENROLLMENT_TOKEN",
    PRODUCTION,
    lambda: generated_secret("enrollment_token", lambda: secrets.token_urlsafe(32)),
)

BEARMAN_GRPC_REFLECTION = reflection_default(PRODUCTION)

DEBUG = env_bool("BEARMAN_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION:
    for _name in ("ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL"):
        required_in_production(_name, PRODUCTION, str)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    # Before DRF's authtoken: our drf_create_token (a hashed token) replaces its own.
    "bearman.apps.BearmanConfig",
    # Kept for its migration history only: its plaintext keys moved to knox's hashed table.
    "rest_framework.authtoken",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "ipman.apps.IpmanConfig",
]
# The labs (lab/: `manage.py lab`) live beside the product, in a checkout; an image or a
# wheel of Bearman leaves them out.
if importlib.util.find_spec("lab.apps"):
    INSTALLED_APPS.append("lab.apps.LabConfig")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "bearman.middleware.RefuseNulInQueryMiddleware",
    "bearman.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bearman.urls"
WSGI_APPLICATION = "bearman.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("BEARMAN_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# Admin times to the second, in ISO order (bearman/formats/).
FORMAT_MODULE_PATH = ["bearman.formats"]

STATIC_URL = "static/"
STATIC_ROOT = env_str("BEARMAN_STATIC_ROOT") or str(var_dir() / "static")
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env_str("BEARMAN_MEDIA_ROOT") or str(var_dir() / "media")

# Security: on in production, so that `check --deploy` passes; TLS may end at a proxy.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("BEARMAN_SSL_REDIRECT", True)
    # iPXE fetches scripts and boot files over plain HTTP on the provisioning network.
    SECURE_REDIRECT_EXEMPT = [r"^ipxe/", r"^artifacts/"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("BEARMAN_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("BEARMAN_HSTS_PRELOAD", True)

BEARMAN_BASE_DIR = BASE_DIR
