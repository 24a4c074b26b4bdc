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

from indicators import urls
from indicators.release_cache import ReleaseCache
from indicators.routes.api import INDICATOR_API
from indicators.routes.pages import PAGE_HANDLERS
from proposals.routes.accounts import ACCOUNT_API, ACCOUNT_PAGES
from proposals.routes.api import PROPOSAL_API
from proposals.routes.authentication import authentication_middleware
from proposals.routes.pages import PROPOSAL_PAGES
from server import use_piccolo_conf
from server.decisions import DecisionLoop
from server.settings import Settings
from web.errors import EXCEPTION_HANDLERS
from web.head import answer_head_as_get
from web.published_cache import PublishedCache, forget_after_writes, published_cache_middleware
from web.requests import MAX_BODY_BYTES
from web.responses import BodyCache
from web.security import add_security_headers
from web.short_cache import ShortCache
from web.site import healthz, switch_language
from web.templating import Templates

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_app(settings: Settings | None = None) -> Litestar:
    use_piccolo_conf()
    settings = settings or Settings.from_env()
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
            # Every page's menu leads to the releases of the framework the home page shows.
            "templates": Templates({"urls": urls, "default_framework": settings.default_framework}),
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
        request_max_body_size=MAX_BODY_BYTES,  # 413 beyond it (web/errors.py says the limit)
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
            log_exceptions="always", disable_stack_trace=set(range(400, 500))
        ),
    )
    app.asgi_handler = answer_head_as_get(app.asgi_handler)
    return app
