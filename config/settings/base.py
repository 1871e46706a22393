"""Settings shared by every environment. Everything variable comes from the environment.

See docs/configuration.md for the variables; the per-environment modules
(local, production, test) only change defaults.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ

# Django's generic classes (ModelAdmin, ...) take type arguments at run time too, as django-stubs types them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# An optional .env file beside manage.py; real environment variables win.
env.read_env(BASE_DIR / ".env", overwrite=False)

# GENERAL
# ------------------------------------------------------------------------------
DEBUG: bool = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY: str = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True

# TIME BUDGETS: coherent defaults for the model timeout, retries, deadline, lease and the
# broker's redelivery (docs/model-providers.md, "Time budgets"; common/checks.py validates whatever is set).
# "slow-local" suits a model on CPU that takes minutes per call. Each variable still wins.
# ------------------------------------------------------------------------------
MODEL_TIME_PROFILES = {
    "default": {
        "OPENAI_TIMEOUT_SECONDS": 30.0,
        "OPERATION_MAX_RETRIES": 4,
        "OPERATION_DEADLINE_SECONDS": 115.0,
        "OPERATION_LEASE_SECONDS": 120,
        "CELERY_VISIBILITY_TIMEOUT": 900,
    },
    "slow-local": {
        "OPENAI_TIMEOUT_SECONDS": 300.0,
        "OPERATION_MAX_RETRIES": 2,
        "OPERATION_DEADLINE_SECONDS": 1500.0,
        "OPERATION_LEASE_SECONDS": 660,
        "CELERY_VISIBILITY_TIMEOUT": 3600,
    },
}
MODEL_TIME_PROFILE: str = env("MODEL_TIME_PROFILE", default="default")
if MODEL_TIME_PROFILE not in MODEL_TIME_PROFILES:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"MODEL_TIME_PROFILE must be one of {', '.join(MODEL_TIME_PROFILES)}")
_budget = MODEL_TIME_PROFILES[MODEL_TIME_PROFILE]

# DATABASES
# ------------------------------------------------------------------------------
# With no DATABASE_URL the service runs on an embedded SQLite file (local use only).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def configure_postgres_pool(database: dict, *, max_size: int) -> None:
    """Use Django's native psycopg 3 pool for PostgreSQL (Django >= 5.1).

    https://docs.djangoproject.com/en/5.2/ref/databases/#connection-pool
    The pool requires CONN_MAX_AGE = 0. Health checks test a connection as it leaves the
    pool, so a restarted PostgreSQL costs one failed request at most, not a restart.
    """
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    database["CONN_MAX_AGE"] = 0
    options = database.setdefault("OPTIONS", {})
    # Bound the connect itself: a dead server must answer 503 quickly, not hang.
    options.setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
    options["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": max_size,
        # Seconds a request waits for a free connection before failing (-> 503).
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
    # With a pool, Django passes psycopg_pool's check_connection when health checks are on.
    database["CONN_HEALTH_CHECKS"] = True


configure_postgres_pool(DATABASES["default"], max_size=env.int("DB_POOL_MAX_SIZE", default=20))

# APPS
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",  # revocable refresh tokens: logout, rotation, password change
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from our static files, no CDN
    "corsheaders",
    "django_prometheus",
    "axes",  # brute-force lockout on the admin's login (docs/operations.md, "Admin lockout")
]
LOCAL_APPS = [
    "common",
    "accounts",
    "interviews",
    "operations",
    "feedback",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# AUTHENTICATION
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out admin login before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# MIDDLEWARE
# ------------------------------------------------------------------------------
MIDDLEWARE = [
    # Prometheus' two must wrap everything else (django-prometheus); the waiting middleware sits inside them.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything that may answer on its own (CommonMiddleware), so those answers carry CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    "common.middleware.StaticFilesMiddleware",
    "common.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "axes.middleware.AxesMiddleware",
    # Innermost, after every gate above: under ASGI it serves the waiting requests (?wait=, /events)
    # asynchronously. Every middleware here is async-capable, so a waiting client holds no thread.
    "operations.waiting.WaitingMiddleware",
]
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# The API's paths carry no trailing slash (contract/API.md).
APPEND_SLASH = False

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

# STATIC (admin and API docs), served by WhiteNoise
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# The reference web client (web/, built by `make run` or `npm run build` into web/dist), served
# at / (common/web.py): its hashed assets cached for a year, index.html never.
WEB_CLIENT_DIR = Path(env("WEB_CLIENT_DIR", default=str(BASE_DIR / "web" / "dist")))
WHITENOISE_ROOT = str(WEB_CLIENT_DIR) if WEB_CLIENT_DIR.is_dir() else None
WHITENOISE_INDEX_FILE = True
WHITENOISE_IMMUTABLE_FILE_TEST = r"^/?assets/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# DJANGO REST FRAMEWORK
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "common.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["common.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["common.filters.ListFilterBackend"],
    "EXCEPTION_HANDLER": "common.exceptions.problem_exception_handler",
    # Every endpoint counts authenticated writes per user (common/throttling.py); some set their own.
    "DEFAULT_THROTTLE_CLASSES": ["common.throttling.WriteRateThrottle"],
    # drf-spectacular plus each operation's problem-details responses (common/schema.py).
    "DEFAULT_SCHEMA_CLASS": "common.schema.ProblemAutoSchema",
    # No OPTIONS metadata (405 instead): the OpenAPI schema is the description of the API.
    # Browsers' CORS preflights are answered by CorsMiddleware before they reach a view.
    "DEFAULT_METADATA_CLASS": None,
    "UNAUTHENTICATED_USER": None,
    # The throttles' client address: REMOTE_ADDR with 0; behind N trusted proxies, the
    # X-Forwarded-For entry the outermost one added. Never the whole header, which the
    # client writes itself. https://www.django-rest-framework.org/api-guide/throttling/
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# https://django-rest-framework-simplejwt.readthedocs.io/en/latest/settings.html
SIMPLE_JWT: dict[str, Any] = {
    # Its own key when JWT_SIGNING_KEY is set; otherwise the SECRET_KEY (docs/configuration.md):
    # a separate key lets tokens be invalidated by rotating it without touching Django's.
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default="") or SECRET_KEY,
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_TOKEN_DAYS", default=7)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": False,
    # /auth/refresh returns a new refresh token and the old one stops working at once (the
    # blacklist app); logout and a password change revoke them too (accounts/services.py).
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}

# ADMIN LOGIN LOCKOUT (django-axes): the API's login has its own throttles (common/throttling.py)
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AXES_ONLY_ADMIN_SITE = True
# After this many failures an account (from any address) and an address (for any account) are
# locked out for AXES_COOLOFF_MINUTES; `manage.py axes_reset_username <email>` / `axes_reset_ip`.
AXES_FAILURE_LIMIT: int = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The admin's login form posts "username" (our USERNAME_FIELD is email); counted trimmed and
# lower-cased, as the login matches it.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "common.throttling.admin_login_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "common.views.admin_locked_out"
# The client address as the throttles see it (REMOTE_ADDR, or behind NUM_PROXIES trusted proxies).
AXES_CLIENT_IP_CALLABLE = "common.throttling.client_address"

# Seconds an authenticated user stays in the cache (common/authentication.py): a password change,
# a deletion and an admin's deactivation drop it at once; anything else done to a user around
# the services shows within this long.
USER_CACHE_SECONDS: int = env.int("USER_CACHE_SECONDS", default=60)

# https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS = {
    "TITLE": "Interview feedback API",
    "DESCRIPTION": (BASE_DIR / "common" / "api_description.md").read_text(encoding="utf-8"),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs are public, and a stale or bad token must not hide them.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI keeps the token across reloads.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayOperationId": True},
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Separate request and response components (e.g. JobPostingRequest): request fields say
    # minLength 1 where blank is refused, and typed clients get exact input types.
    "COMPONENT_SPLIT_REQUEST": True,
    # Two models have a `status`; give each enum its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "interviews.models.InterviewSession.Status",
        "OperationStatusEnum": "operations.models.Operation.Status",
    },
}

# CACHE (the throttles' counters)
# https://docs.djangoproject.com/en/5.2/topics/cache/  https://django-environ.readthedocs.io/en/latest/types.html
# ------------------------------------------------------------------------------
# In-process memory for local runs; production requires a shared Redis (CACHE_URL), or
# each process would count on its own and a limit would not hold.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}


def configure_redis_cache(cache: dict) -> None:
    """Bound Redis calls (redis-py waits forever by default): a dead Redis costs a request
    a second at most, and the throttles then let it through (common/throttling.py)."""
    if cache["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        return
    cache["BACKEND"] = "common.cache.RedisCache"  # Django's, reusing its redis-py clients
    options = cache.setdefault("OPTIONS", {})
    options.setdefault("socket_connect_timeout", env.float("CACHE_CONNECT_TIMEOUT", default=0.5))
    options.setdefault("socket_timeout", env.float("CACHE_SOCKET_TIMEOUT", default=0.5))


configure_redis_cache(CACHES["default"])

# A user's dashboard is kept this long while their history does not change (interviews/progress.py):
# only with a cache the web and worker processes share (the worker's stored feedback changes it).
_SHARED_CACHE = not CACHES["default"]["BACKEND"].endswith((".LocMemCache", ".DummyCache"))
DASHBOARD_CACHE_SECONDS: int = env.int("DASHBOARD_CACHE_SECONDS", default=300 if _SHARED_CACHE else 0)

# RATE LIMITS (common/throttling.py; docs/api.md, "Rate limits")
# ------------------------------------------------------------------------------
# "<count>/<second|minute|hour|day>"; an empty value turns that limit off.
# Per user, on POST /sessions/{id}/generate-feedback: each call may spend model money.
FEEDBACK_RATE_LIMIT: str = env("FEEDBACK_RATE_LIMIT", default="20/hour")
# Login attempts (successful or not) per account (email, trimmed and lower-cased) from any
# address, and per client address for any account: brute force from one place, or
# spread over many.
LOGIN_RATE_LIMIT_PER_EMAIL: str = env("LOGIN_RATE_LIMIT_PER_EMAIL", default="5/minute")
LOGIN_RATE_LIMIT_PER_ADDRESS: str = env("LOGIN_RATE_LIMIT_PER_ADDRESS", default="20/minute")
REGISTER_RATE_LIMIT_PER_ADDRESS: str = env("REGISTER_RATE_LIMIT_PER_ADDRESS", default="10/hour")
REFRESH_RATE_LIMIT_PER_ADDRESS: str = env("REFRESH_RATE_LIMIT_PER_ADDRESS", default="120/minute")
PASSWORD_CHANGE_RATE_LIMIT: str = env("PASSWORD_CHANGE_RATE_LIMIT", default="10/hour")
# Writes (POST/PUT/PATCH/DELETE) per user on every other endpoint: generous for a person, a
# ceiling for a script.
WRITE_RATE_LIMIT: str = env("WRITE_RATE_LIMIT", default="600/hour")
# Per user, on POST /sessions/{id}/generate-question: each call may spend model money too.
QUESTION_RATE_LIMIT: str = env("QUESTION_RATE_LIMIT", default="120/hour")

# INTERVIEWS
# ------------------------------------------------------------------------------
# Questions per session; generate-question answers QUESTION_LIMIT_REACHED after this many.
SESSION_MAX_QUESTIONS: int = env.int("SESSION_MAX_QUESTIONS", default=10)
# Characters of all a session's questions and answers together (TRANSCRIPT_TOO_LONG past it):
# what one analysis can be made to read stays bounded whatever the client sends.
SESSION_MAX_TRANSCRIPT_CHARS: int = env.int("SESSION_MAX_TRANSCRIPT_CHARS", default=60_000)

# CORS (django-cors-headers) for the single-page app
# https://github.com/adamchainz/django-cors-headers#configuration
# ------------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
# Origins given as regular expressions (e.g. the SPA's preview deployments: ^https://[a-z0-9-]+\.app\.example$).
CORS_ALLOWED_ORIGIN_REGEXES: list[str] = env.list("CORS_ALLOWED_ORIGIN_REGEXES", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
# Without these the browser hides them from the SPA: where to poll, when, and the log id.
CORS_EXPOSE_HEADERS = ["Location", "Retry-After", "X-Request-ID"]
# Browsers cache a preflight this long (Chromium caps it at 2 h).
CORS_PREFLIGHT_MAX_AGE = 3600

# CELERY
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# ------------------------------------------------------------------------------
# With no CELERY_BROKER_URL the service runs on kombu's filesystem transport, which
# needs no server (one machine, local use only). Production sets a Redis URL.
CELERY_BROKER_URL: str = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# The Operation table is the record of every piece of work: no result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# A killed worker's task comes back (DESIGN.md point 4).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The periodic upkeep (the recovery sweep, the token flush) has a queue of its own, which every
# worker consumes beside the operations' one: a backlog of operation tasks cannot hold a sweep
# back behind it (the broker is read from the queues in turn), and the sweep is what
# re-dispatches operations a lost worker or broker left behind.
CELERY_TASK_DEFAULT_QUEUE = "celery"
MAINTENANCE_QUEUE = "maintenance"
CELERY_TASK_QUEUES: dict[str, dict[str, Any]] = {CELERY_TASK_DEFAULT_QUEUE: {}, MAINTENANCE_QUEUE: {}}
CELERY_TASK_ROUTES = {
    "operations.tasks.recover_operations_task": {"queue": MAINTENANCE_QUEUE},
    "accounts.tasks.flush_expired_tokens_task": {"queue": MAINTENANCE_QUEUE},
}
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The analysis waits on the network, so one process runs many threads (DESIGN.md point 8).
# The threads pool enforces no time limits: every I/O call carries its own timeout and
# operations/recovery catches anything that escapes.
CELERY_WORKER_POOL: str = env("CELERY_WORKER_POOL", default="threads")
CELERY_WORKER_CONCURRENCY: int = env.int("CELERY_WORKER_CONCURRENCY", default=32)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = True  # Flower
# No "task-sent" event: it is a second Redis round trip on every POST (about 5 % of its
# CPU in `make bench`); Flower still sees each task from the moment a worker receives it,
# and the Operation row records the time it was created.
CELERY_TASK_SEND_SENT_EVENT = False

# Redis redelivers an unacknowledged task after visibility_timeout: it must exceed the
# longest run and the operation lease (OPERATION_LEASE_SECONDS, below) or a second copy
# starts while the first still runs. The claim's fence makes such a copy harmless anyway.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=_budget["CELERY_VISIBILITY_TIMEOUT"]),
    # kombu's defaults are None: with Redis down a publish would hang the request.
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=3.0),
    "socket_connect_timeout": env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=2.0),
    "retry_on_timeout": False,
    "health_check_interval": 25,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }
# A publish with the broker down gives up after ~3 s instead of hanging; the
# Operation row is already committed and the recovery sweep dispatches it later.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}

# SECRETS AT REST (common/crypto.py): users' own model keys
# ------------------------------------------------------------------------------
# Comma-separated Fernet keys, newest first (rotation: docs/model-providers.md, "Users' own keys"). Local
# and test settings derive one from DJANGO_SECRET_KEY; production requires it.
FIELD_ENCRYPTION_KEY: list[str] = env.list("FIELD_ENCRYPTION_KEY", default=[])

# OPENAI-COMPATIBLE MODEL (llm/)
# ------------------------------------------------------------------------------
OPENAI_API_KEY: str = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL: str | None = env("OPENAI_BASE_URL", default="") or None
OPENAI_MODEL: str = env("OPENAI_MODEL", default="gpt-5.4-mini")
# The SDK's default read timeout is 600 s: bound every call explicitly.
OPENAI_TIMEOUT_SECONDS: float = env.float("OPENAI_TIMEOUT_SECONDS", default=_budget["OPENAI_TIMEOUT_SECONDS"])
OPENAI_CONNECT_TIMEOUT_SECONDS: float = env.float("OPENAI_CONNECT_TIMEOUT_SECONDS", default=5.0)
# The SDK's own retries, per call. Off by default: the Celery task retries (feedback/tasks.py)
# with backoff and a deadline, and the two would multiply.
OPENAI_MAX_RETRIES: int = env.int("OPENAI_MAX_RETRIES", default=0)
OPENAI_MAX_OUTPUT_TOKENS: int = env.int("OPENAI_MAX_OUTPUT_TOKENS", default=4000)
# What one call may be made to read (llm/budget.py, estimated at 3 characters a token): the
# résumé, then the job description, are shortened to fit. The interview itself is bounded by
# SESSION_MAX_QUESTIONS and SESSION_MAX_TRANSCRIPT_CHARS. A model with an 8k context: ~6000.
OPENAI_MAX_INPUT_TOKENS: int = env.int("OPENAI_MAX_INPUT_TOKENS", default=32000)
# How structured output is asked for (llm/structured.py; `manage.py check_model` tells which a
# server supports): "json_schema" (OpenAI, Azure, vLLM, Ollama, llama.cpp's llama-server),
# "json_object" (the schema in the prompt; llama-cpp-python's server, older LM Studio) or
# "tools" (a forced function call). The output is validated the same way after each.
OPENAI_STRUCTURED_OUTPUT: str = env("OPENAI_STRUCTURED_OUTPUT", default="json_schema")
# SDK clients kept per process (one per key: users' own keys and the service's).
OPENAI_CLIENT_CACHE_SIZE: int = env.int("OPENAI_CLIENT_CACHE_SIZE", default=64)

# LOGGING
# ------------------------------------------------------------------------------
LOG_LEVEL: str = env("DJANGO_LOG_LEVEL", default="INFO")
LOG_FORMAT: str = env("LOG_FORMAT", default="text")  # "json" in production
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "common.logging.ContextFilter"},
        "redact": {"()": "common.logging.RedactSecretsFilter"},
    },
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(context)s] %(message)s",
        },
        "json": {"()": "common.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        "openai": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "common.views.csrf_failure"

# celery beat keeps its last-run times here (the schedule itself is in code: config/celery.py).
CELERY_BEAT_SCHEDULE_FILENAME: str = env("CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule"))

# MODEL-CALL RETRIES OF EVERY OPERATION TASK (operations/runner.py)
# ------------------------------------------------------------------------------
# Transient model failures (timeouts, connection errors, 429, 5xx) are retried with
# exponential backoff and full jitter, honouring Retry-After, at most this many times,
# and never past the deadline (counted from the first claim): a provider that keeps
# failing ends the operation `failed` within two minutes.
OPERATION_MAX_RETRIES: int = env.int("OPERATION_MAX_RETRIES", default=_budget["OPERATION_MAX_RETRIES"])
OPERATION_RETRY_BACKOFF_SECONDS: float = env.float("OPERATION_RETRY_BACKOFF_SECONDS", default=2.0)
OPERATION_RETRY_BACKOFF_MAX_SECONDS: float = env.float("OPERATION_RETRY_BACKOFF_MAX_SECONDS", default=30.0)
OPERATION_DEADLINE_SECONDS: float = env.float(
    "OPERATION_DEADLINE_SECONDS", default=_budget["OPERATION_DEADLINE_SECONDS"]
)
# A store that fails on a database blip after a successful model call is retried after
# these pauses (seconds), in the same run, with the model's output kept: never a second call.
OPERATION_STORE_RETRY_DELAYS: list[float] = env.list(
    "OPERATION_STORE_RETRY_DELAYS", cast=float, default=[0.5, 1.0, 2.0, 4.0]
)

# OPERATION RECOVERY (operations/recovery.py, run by celery beat)
# ------------------------------------------------------------------------------
# A claim lasts this long; one run is bounded well below it (a model call is bounded by
# OPENAI_TIMEOUT_SECONDS, twice at most for invalid output: common/checks.py verifies it), and a
# Celery retry extends it across its backoff. Must stay below the broker's visibility_timeout.
OPERATION_LEASE_SECONDS: int = env.int("OPERATION_LEASE_SECONDS", default=_budget["OPERATION_LEASE_SECONDS"])
# Pending rows not picked up this long after dispatch are published again (broker was down,
# the web process died right after commit, the message was lost).
OPERATION_PENDING_GRACE_SECONDS: int = env.int("OPERATION_PENDING_GRACE_SECONDS", default=60)
# How often the sweep runs. Lease + interval bounds how long a dead worker's operation waits.
OPERATION_RECOVERY_INTERVAL_SECONDS: int = env.int("OPERATION_RECOVERY_INTERVAL_SECONDS", default=30)
# A processing operation whose lease expired this many times is failed with WORKER_LOST.
OPERATION_MAX_RECOVERIES: int = env.int("OPERATION_MAX_RECOVERIES", default=3)
# Rows handled per sweep round (the rest wait for the next round).
OPERATION_RECOVERY_BATCH: int = env.int("OPERATION_RECOVERY_BATCH", default=500)

CELERY_BEAT_SCHEDULE = {
    "operations-recover": {
        "task": "operations.tasks.recover_operations_task",
        "schedule": float(OPERATION_RECOVERY_INTERVAL_SECONDS),
        # A sweep that could not run in its slot is dropped, not piled up.
        "options": {"expires": float(OPERATION_RECOVERY_INTERVAL_SECONDS)},
    },
    # Expired refresh tokens (and their blacklist rows) are dead weight: simplejwt's flush, daily.
    "accounts-flush-expired-tokens": {
        "task": "accounts.tasks.flush_expired_tokens_task",
        "schedule": 24 * 60 * 60.0,
        "options": {"expires": 60 * 60.0},
    },
}

# METRICS (docs/operations.md, "Health, metrics and logs")
# ------------------------------------------------------------------------------
# /metrics requires "Authorization: Bearer <token>" when this is set.
METRICS_TOKEN: str = env("METRICS_TOKEN", default="")
# A Celery worker serves its own metrics on this port (0 turns it off).
CELERY_METRICS_PORT: int = env.int("CELERY_METRICS_PORT", default=9808)

# WAITING ON AN OPERATION (operations/waiting.py: ?wait= and /events)
# ------------------------------------------------------------------------------
# Concurrent waiters (long-polls and streams) per user and per web process; past either, 429.
WAIT_MAX_PER_USER: int = env.int("WAIT_MAX_PER_USER", default=10)
WAIT_MAX_PER_PROCESS: int = env.int("WAIT_MAX_PER_PROCESS", default=2000)
# Threads of one web process serving the API (config/asgi.py); its database pool (DB_POOL_MAX_SIZE)
# should be at least this large.
WEB_THREADS: int = env.int("WEB_THREADS", default=8)
