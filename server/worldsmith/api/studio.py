"""The studio's built files (studio/dist) served under /studio/ on the HTTP listener, beside the Connect app."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse
from starlette.staticfiles import StaticFiles

from worldsmith.config import Settings

STUDIO_DIST = Path(__file__).resolve().parents[3] / "studio" / "dist"
PREFIX = "/studio"
NOT_BUILT = "The worldsmith studio is not built. Run `make studio` (npm ci and npm run build in studio/), then reload.\n"


class StudioMount:
    """Routes /studio/... to the static files (no key needed: the page asks for one) and the rest to `api`."""

    def __init__(self, api, settings: Settings, dist: Path = STUDIO_DIST):
        self.api = api
        self.dist = dist
        self.files = StaticFiles(directory=dist, html=True, check_dir=False)
        # What the page needs before its first call: the largest request the server reads.
        self.config = {"max_message_bytes": settings.server.max_message_bytes}

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.api(scope, receive, send)
            return
        if path == PREFIX:
            response = RedirectResponse(PREFIX + "/")
        elif path == PREFIX + "/config.json":
            response = JSONResponse(self.config, headers={"cache-control": "no-store"})
        elif not (self.dist / "index.html").is_file():
            response = PlainTextResponse(NOT_BUILT, status_code=503)
        else:
            try:
                await self.files({**scope, "root_path": PREFIX}, receive, send)  # files are looked up below the prefix
                return
            except HTTPException as error:  # no such file (StaticFiles raises; no Starlette app here turns it into a response)
                response = PlainTextResponse(error.detail, status_code=error.status_code)
        await response(scope, receive, send)
