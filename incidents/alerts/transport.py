"""Sending one message: e-mail over SMTP, a signed JSON POST to a webhook.

Failures raise :class:`~incidents.errors.DeliveryError` with a sentence that names the server or
URL and the reason, never a password, a secret or a signature (they are not in any message here).

Webhook signature: ``X-Sahel-Signature: sha256=HEX`` where HEX is HMAC-SHA256 with the watch's
secret over ``TIMESTAMP + "." + BODY`` (the raw bytes), ``X-Sahel-Timestamp`` the Unix time in
seconds; a receiver recomputes it and refuses old timestamps (docs/deploy.md shows how).
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Final

from incidents.errors import DeliveryError
from incidents.settings import DELIVERY_TIMEOUT_S, SmtpSettings

SIGNATURE_HEADER: Final = "X-Sahel-Signature"
TIMESTAMP_HEADER: Final = "X-Sahel-Timestamp"
DELIVERY_HEADER: Final = "X-Sahel-Delivery"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` + the hex HMAC-SHA256 of ``f"{timestamp}.".encode() + body`` under ``secret``."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def send_email(settings: SmtpSettings, message: EmailMessage, *, timeout: float = DELIVERY_TIMEOUT_S) -> None:
    """Send through the configured server: STARTTLS on ``smtp://``, TLS from the start on ``smtps://``.

    The server's certificate is checked against the system's trusted authorities (a private one
    through ``SSL_CERT_FILE``).
    """
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if settings.implicit_tls:
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with client:
            if not settings.implicit_tls:
                client.starttls(context=context)
            if settings.user:
                client.login(settings.user, settings.password)
            client.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"the mail server {settings.describe()} refused the user name or password"
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
        raise DeliveryError(
            f"the mail server {settings.describe()} failed: {type(exc).__name__}: {exc}"
        ) from exc


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A receiver's redirect is a failure: following it could post the alert somewhere else."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER: Final = urllib.request.build_opener(_NoRedirects())


def post_webhook(
    url: str,
    body: bytes,
    *,
    secret: str,
    timestamp: int,
    delivery_id: int,
    timeout: float = DELIVERY_TIMEOUT_S,
) -> None:
    """POST ``body`` (JSON) to ``url``, signed; any answer other than 2xx is a failure."""
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("User-Agent", "sahel-dashboard-alerts")
    request.add_header(TIMESTAMP_HEADER, str(timestamp))
    request.add_header(DELIVERY_HEADER, str(delivery_id))
    request.add_header(SIGNATURE_HEADER, sign(secret, timestamp, body))
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = int(exc.code)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"the webhook {url} could not be reached: {reason}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"the webhook {url} answered HTTP {status}")
