"""The staff console as an ASGI app: `create_app(settings)`; served by uvicorn (robot/nodes/console.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from robot.console import views_admin, views_auth, views_facts, views_profiles, views_research, views_staff
from robot.console.settings import ConsoleSettings
from robot.console.web import STATIC_DIR, Console, SecurityHeaders


def create_app(settings: ConsoleSettings) -> Starlette:
    """The console app; its database is opened (and created) now and closed when the app shuts down."""
    console = Console(settings)
    routes = [*views_auth.ROUTES, *views_staff.ROUTES, *views_profiles.ROUTES, *views_facts.ROUTES, *views_research.ROUTES,
              *views_admin.ROUTES, Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        console.store.close()

    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)], lifespan=lifespan)
    app.state.console = console
    return app
