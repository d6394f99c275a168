"""Cloud Functions for Firebase entry points (the codebase's ``main.py``).

``before_user_created`` is the Identity Platform blocking function: it registers each new
user with the AWS API (a Google-signed ID token of the function's service account proves the
caller) and never blocks the sign-up when AWS is unreachable: the API then creates the record
lazily on the user's first request. ``REGISTRATION_API_URL`` is the AWS API's base URL.

Deploy with ``firebase deploy --only functions`` from a directory holding this file as
``main.py``, the service code under ``hybridstack/services/`` and
``services/firebase/requirements.lock`` as its requirements: what
``hybridstack.emulators.runtime.functions_codebase.assemble`` builds (the local cloud runs that
folder
in the Functions emulator).

Example (what Identity Platform calls):
    before_user_created(event)   # -> None: the account is created unchanged
"""

from __future__ import annotations

import os
from typing import Any

from firebase_functions import identity_fn

from hybridstack.services.identity.registration import on_user_created


@identity_fn.before_user_created()
def before_user_created(event: Any) -> None:
    """Register the new user with AWS; never refuse the sign-up because of AWS."""
    on_user_created(event, api_url=os.environ["REGISTRATION_API_URL"])
