"""Who may use the review app, and what its pages may do in a browser.

- **A token, as Jupyter's.** The app prints one URL carrying a random token
  (``?token=...``). The first visit trades it for an HttpOnly, SameSite=Strict cookie and
  redirects to the same page without it (so it does not linger in the history or a
  Referer); a request with neither is refused with 403.
- **Loopback only, by name too.** The server listens on 127.0.0.1, and a request whose
  Host is not this server's own loopback address is refused, so a web page cannot reach
  the app through DNS rebinding.
- **CSRF.** Every state-changing request carries Flask-WTF's CSRF token (a form field tied
  to the TA's session), on top of the SameSite cookie.
- **Nothing runs.** Each response forbids inline script, plugins and framing; scripts
  come only from the app's own static file (``Content-Security-Policy``).
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from flask import Flask, Response, abort, redirect, request

TOKEN_COOKIE = "autograder_review"
POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


def protect(app: Flask, token: str, hosts: set[str]) -> None:
    """Refuse requests without the token or to another host, and set the headers that keep pages inert."""

    @app.before_request
    def _check() -> Response | None:
        if request.host not in hosts:
            abort(400, "this address is not the review app's")
        given = request.args.get("token")
        if given is not None:
            if not hmac.compare_digest(given, token):
                abort(403, "wrong token: use the URL that autograder review printed")
            rest = {key: value for key, value in request.args.items() if key != "token"}
            response = redirect(request.path + (f"?{urlencode(rest)}" if rest else ""))
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict")
            return response
        if not hmac.compare_digest(request.cookies.get(TOKEN_COOKIE, ""), token):
            abort(403, "open the URL that autograder review printed (it carries the token)")
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response
