"""One line a person can act on, for a refusal or a failure of a service call."""

from __future__ import annotations


def explain(error: BaseException) -> str:
    """The message for ``error``; the text may hold names from the database: show it literally.

    The error classes are imported here, not at the top: the case list paints before the data
    layer loads, and by the time a service has raised one of them its module is loaded anyway.
    """
    from sqlalchemy.exc import OperationalError, SQLAlchemyError

    from store.access import PermissionDenied
    from store.settings import SettingError
    from store.spaces import SpaceNameError
    from worker.admin_service import MemberError
    from worker.cases import CaseError
    from worker.integration_service import IntegrationError

    if isinstance(error, PermissionDenied):
        return f"Not allowed: {error}"
    if isinstance(
        error, CaseError | MemberError | SettingError | SpaceNameError | IntegrationError
    ):
        return str(error)
    if isinstance(error, OperationalError):
        return "The database is busy or unreachable; nothing was changed. Try again."
    if isinstance(error, SQLAlchemyError):
        return f"Database error: {type(error).__name__}"
    return f"Unexpected error ({type(error).__name__}): {error}"
