"""Job entry points of the accounts app: they take ids and call a service (run by bachata.runner)."""

from __future__ import annotations

from bachata.runner import says_on_failure


@says_on_failure("Your export could not be built ({error}). Ask for a new one.")
def data_export_build(*, export_id: int) -> None:
    from accounts.export import data_export_build as build

    build(export_id=export_id)


def password_reset_mail(*, email: str, domain: str, use_https: bool) -> None:
    from accounts.services import password_reset_mail as send

    send(email=email, domain=domain, use_https=use_https)
