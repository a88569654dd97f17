"""Reading the mail settings from the environment: EMAIL_URL, e.g. smtp://user:pass@host:587?tls=1."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

_TRUE = ("1", "true", "yes", "on")


def parse_email_url(url: str) -> dict:
    """ "smtp://user:pass@host:587?tls=1" -> Django's EMAIL_* settings as a dict.

    Schemes: smtp (STARTTLS with ?tls=1), smtps (implicit TLS; port 465 by default), console, locmem,
    file (smtp-less: file:///var/mail/dir), dummy. User and password may be percent-encoded.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
    }
    if scheme in backends:
        settings = {"EMAIL_BACKEND": backends[scheme]}
        if scheme == "file":
            settings["EMAIL_FILE_PATH"] = unquote(parts.path)
        return settings
    if scheme not in ("smtp", "smtps"):
        raise ValueError(
            f"EMAIL_URL must start with smtp://, smtps://, console://, locmem://, file:// or dummy://, not {url!r}."
        )
    if not parts.hostname:
        raise ValueError("EMAIL_URL needs a host: smtp://user:pass@host:587")
    query = {key.lower(): values[-1].lower() for key, values in parse_qs(parts.query).items()}
    use_ssl = scheme == "smtps" or query.get("ssl", "") in _TRUE
    use_tls = not use_ssl and query.get("tls", "") in _TRUE
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": parts.port or (465 if use_ssl else 587 if use_tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }
