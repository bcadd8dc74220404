"""Who may read the inventory: Airflow's own login and permissions.

Every page and API route depends on `reader`: the user of Airflow's JWT, from `Authorization: Bearer <token>`
(`POST /auth/token`) or the UI's session cookie, resolved by Airflow's own dependency (`get_user`); without one,
401. The permission checked is the auth manager's `is_authorized_view(access_view=AccessView.WEBSITE)`: "may
read the Airflow UI", which every role has (the simple auth manager's viewer and up; FAB's Viewer and up) and
nothing else needs. The explorer only reads, so no other permission is involved.
"""
from __future__ import annotations

from typing import Annotated

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import Depends, HTTPException, status

PERMISSION = "AccessView.WEBSITE"  # what the README says is checked


def reader(user: GetUserDep):
    """The logged-in user, if Airflow lets them read its UI; else 401 (no login) or 403."""
    if not get_auth_manager().is_authorized_view(access_view=AccessView.WEBSITE, user=user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this user may not read the Airflow UI, so not the inventory")
    return user


Reader = Annotated[object, Depends(reader)]
