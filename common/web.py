"""The reference web client (web/, built by Vite into web/dist) served at / by this process.

WhiteNoise serves the built files (common.middleware.StaticFilesMiddleware, WHITENOISE_ROOT):
the hashed assets under /assets/ with a year's cache, index.html without. Client-side routes
(/sessions/…, /dashboard) fall back to index.html here; the API, the admin and the static files
keep their own 404s.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Interview practice</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5">
<h1>The web client is not built</h1>
<p>The API is running at <a href="/api/v1/docs/">/api/v1/</a>. To get the browser client, install
Node.js 20 or newer and run <code>make run</code> again (it builds <code>web/</code>), or build it
yourself: <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>.</p>
</body></html>
"""


@require_GET
def spa_index(request: HttpRequest, path: str = "") -> HttpResponse:
    index = settings.WEB_CLIENT_DIR / "index.html"
    if not index.is_file():
        return HttpResponse(NOT_BUILT, status=503, headers={"Cache-Control": "no-store", "Retry-After": "60"})
    response = HttpResponse(index.read_bytes(), content_type="text/html; charset=utf-8")
    # Always the newest: it names the hashed assets of the current build.
    response["Cache-Control"] = "no-cache"
    return response
