"""The application factory: the domains' routes, the caches and the background tasks, wired."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.static_files import create_static_files_router

from indicators import urls
from indicators.release_cache import ReleaseCache
from indicators.routes.adaptations import ADAPTATION_API, ADAPTATION_PAGES
from indicators.routes.api import INDICATOR_API
from indicators.routes.pages import PAGE_HANDLERS
from places.routes import TERRITORY_API
from programmes.routes.api import PROGRAMME_API
from programmes.routes.field import PANELS as PROGRAMME_PANELS
from programmes.routes.pages import PROGRAMME_PAGES
from proposals.mail import MailContext
from proposals.routes.accounts import ACCOUNT_PAGES
from proposals.routes.accounts_api import ACCOUNT_API
from proposals.routes.adaptations import NETWORK_API, NETWORK_PAGES
from proposals.routes.api import PROPOSAL_API
from proposals.routes.authentication import authentication_middleware
from proposals.routes.delphi_api import DELPHI_API
from proposals.routes.delphi_pages import DELPHI_PAGES
from proposals.routes.delphi_panel import PANELS as DELPHI_PANELS
from proposals.routes.feeds import FEED_PAGES
from proposals.routes.notifications import NOTIFICATION_API, NOTIFICATION_PAGES
from proposals.routes.pages import PROPOSAL_PAGES
from proposals.routes.participation import PARTICIPATION_API, PARTICIPATION_PAGES
from proposals.routes.reviews import REVIEW_API, REVIEW_PAGES
from server import use_piccolo_conf
from server.decisions import DecisionLoop
from server.mailer import MailLoop
from server.settings import Settings
from web.cache import Cache, Generations
from web.changes import ChangeListener, attach
from web.csrf import csrf_middleware
from web.database import close_pool, open_pool
from web.error_log import logging_config
from web.errors import EXCEPTION_HANDLERS
from web.head import answer_head_as_get
from web.idempotency import idempotency_middleware
from web.params import canonical_numbers_middleware
from web.requests import MAX_BODY_BYTES
from web.response_cache import response_cache_middleware
from web.security import security_headers
from web.site import healthz, switch_language
from web.templating import Templates

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
MIB = 1024 * 1024
# What each worker's caches may hold at most (README, "Why pages are fast"): rendered answers, data
# read for pages (debates, lists, sessions), and the content of releases.
RESPONSES_MAX = (4096, 64 * MIB)
READS_MAX = (8192, 32 * MIB)
RELEASES_MAX = (256, 64 * MIB)


def caches(settings: Settings, generations: Generations) -> dict[str, object]:
    def cache(limits: tuple[int, int]) -> Cache:
        entries, size = limits
        return Cache(generations, max_entries=entries, max_bytes=size, ttl=settings.latest_ttl_seconds)

    return {
        "generations": generations,
        "responses": cache(RESPONSES_MAX),
        "reads": cache(READS_MAX),
        "releases": ReleaseCache(cache(RELEASES_MAX)),
    }


def create_app(settings: Settings | None = None) -> Litestar:
    use_piccolo_conf()
    settings = settings or Settings.from_env()
    generations = Generations()
    attach(generations)  # this process's own writes reach its caches as soon as they commit
    listener = ChangeListener(generations, settings.database_url)  # and every other worker's writes
    decisions = DecisionLoop(settings.decision_interval_seconds)
    templates = Templates({"urls": urls, "default_framework": settings.default_framework})
    mail = MailLoop(settings, MailContext(settings.base_url, settings.secret_key, templates))

    state = State(
        {
            "settings": settings,
            **caches(settings, generations),
            # Every page's menu leads to the releases of the framework the home page shows.
            "templates": templates,
            # What programmes add to the indicator and proposal pages, and Delphi processes to the
            # release pages (web/panels.py).
            "panels": {**PROGRAMME_PANELS, **DELPHI_PANELS},
        }
    )
    app = Litestar(
        route_handlers=[
            # Pages are for people: they stay out of the API's OpenAPI schema.
            Router(
                path="/",
                route_handlers=[
                    *PAGE_HANDLERS,
                    *ADAPTATION_PAGES,
                    *ACCOUNT_PAGES,
                    *PROPOSAL_PAGES,
                    *DELPHI_PAGES,
                    *FEED_PAGES,
                    *NOTIFICATION_PAGES,
                    *PARTICIPATION_PAGES,
                    *REVIEW_PAGES,
                    *NETWORK_PAGES,
                    *PROGRAMME_PAGES,
                    healthz,
                    switch_language,
                ],
                include_in_schema=False,
            ),
            Router(
                path="/api/v1",
                route_handlers=[
                    *TERRITORY_API,
                    *INDICATOR_API,
                    *ADAPTATION_API,
                    *ACCOUNT_API,
                    *PROPOSAL_API,
                    *DELPHI_API,
                    *NOTIFICATION_API,
                    *PARTICIPATION_API,
                    *REVIEW_API,
                    *NETWORK_API,
                    *PROGRAMME_API,
                ],
            ),
            create_static_files_router(path="/static", directories=[STATIC_DIR], name="static"),
        ],
        on_startup=[open_pool, listener.start, decisions.start, mail.start],
        on_shutdown=[mail.stop, decisions.stop, listener.stop, close_pool],
        state=state,
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=MAX_BODY_BYTES,  # 413 beyond it (web/errors.py says the limit)
        # Who is asking first: the CSRF check binds tokens to the session, an idempotency key is
        # its owner's, and the response cache answers each viewer as the handlers would.
        middleware=[
            canonical_numbers_middleware,
            authentication_middleware,
            csrf_middleware,
            idempotency_middleware,
            response_cache_middleware,
        ],
        before_send=[security_headers(https=settings.base_url.startswith("https://"))],
        # Only the schema itself: the documentation UIs load scripts from CDNs, which the CSP forbids.
        openapi_config=OpenAPIConfig(
            title="Référentiel vivant API", version="1", path="/schema", render_plugins=[JsonRenderPlugin()]
        ),
        logging_config=logging_config(),
    )
    app.asgi_handler = answer_head_as_get(app.asgi_handler)
    return app
