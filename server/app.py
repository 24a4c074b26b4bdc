"""The application factory."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.static_files import create_static_files_router
from piccolo.engine import engine_finder

import server  # noqa: F401  (sets PICCOLO_CONF before Piccolo looks for its engine)
from indicators.api import INDICATOR_API
from indicators.pages import PAGE_HANDLERS
from indicators.release_cache import ReleaseCache
from proposals.account_routes import ACCOUNT_API, ACCOUNT_PAGES
from proposals.api import PROPOSAL_API
from proposals.pages import PROPOSAL_PAGES
from server.auth import authentication_middleware
from server.decisions import DecisionLoop
from server.errors import EXCEPTION_HANDLERS, STATUS_OF
from server.faults import install_faults
from server.head import answer_head_as_get
from server.published_cache import PublishedCache, forget_after_writes, published_cache_middleware
from server.requests import MAX_BODY_BYTES
from server.responses import BodyCache
from server.security import add_security_headers
from server.settings import Settings
from server.short_cache import ShortCache
from server.site import healthz, switch_language
from server.templating import environment

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    install_faults()  # only with REFERENTIEL_FAULT set, for crash tests (server/faults.py)
    # Every page's menu leads to the releases of the framework the home page shows.
    environment.globals["default_framework"] = settings.default_framework
    engine = engine_finder()
    published = PublishedCache(settings.latest_ttl_seconds)
    short = ShortCache(settings.latest_ttl_seconds)

    async def open_database() -> None:
        # The pool belongs to the event loop that serves requests (one per worker).
        if engine.engine_type == "postgres":
            await engine.start_connection_pool()

    async def close_database() -> None:
        if engine.engine_type == "postgres":
            await engine.close_connection_pool()

    state = State(
        {
            "settings": settings,
            "releases": ReleaseCache(settings.latest_ttl_seconds),
            "bodies": BodyCache(),
            "published": published,
            "short": short,
        }
    )
    decisions = DecisionLoop(state, settings.decision_interval_seconds)

    app = Litestar(
        route_handlers=[
            # Pages are for people: they stay out of the API's OpenAPI schema.
            Router(
                path="/",
                route_handlers=[*PAGE_HANDLERS, *ACCOUNT_PAGES, *PROPOSAL_PAGES, healthz, switch_language],
                include_in_schema=False,
            ),
            Router(path="/api/v1", route_handlers=[*INDICATOR_API, *ACCOUNT_API, *PROPOSAL_API]),
            create_static_files_router(path="/static", directories=[STATIC_DIR], name="static"),
        ],
        on_startup=[open_database, decisions.start],
        on_shutdown=[decisions.stop, close_database],
        state=state,
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=MAX_BODY_BYTES,  # 413 beyond it (server/errors.py says the limit)
        middleware=[published_cache_middleware(published), authentication_middleware],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="rv_csrf",
            cookie_secure=settings.secure_cookies,
            cookie_httponly=True,
            cookie_samesite="lax",
            # The API takes no cookie; health checks and static files need no token either.
            exclude=["/api/", "/healthz", "/static/"],
        ),
        before_send=[add_security_headers, forget_after_writes(published, short)],
        # Only the schema itself: the documentation UIs load scripts from CDNs, which the CSP forbids.
        openapi_config=OpenAPIConfig(
            title="Référentiel vivant API", version="1", path="/schema", render_plugins=[JsonRenderPlugin()]
        ),
        logging_config=LoggingConfig(
            log_exceptions="always", disable_stack_trace={400, 401, 403, 404, 409, 429, *STATUS_OF}
        ),
    )
    app.asgi_handler = answer_head_as_get(app.asgi_handler)
    return app
