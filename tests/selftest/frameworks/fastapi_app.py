"""GET /v1/sessions/{session_id} in FastAPI, written as its documentation teaches: an `HTTPBearer`
dependency (https://fastapi.tiangolo.com/reference/security/#fastapi.security.HTTPBearer), a pydantic
`response_model` with nullable fields, `response_model_exclude_unset` so that a field the session
does not have stays absent, and `HTTPException(404)` for an unknown id and another account's session
alike. It serves the reference server's seed (chaser_conformance/server/store.py).

    python tests/selftest/frameworks/fastapi_app.py      # prints its port; or, as the docs run it:
    uvicorn --app-dir tests/selftest/frameworks fastapi_app:app --port 8000

What FastAPI does that the reference server does not: HTTPBearer strips the credential (so
`Bearer <token>` followed by U+00A0 reads), Starlette redirects a path that ends in a slash once
decoded (`ses_full%2F`) with 307 to the one without, HEAD is not routed (405), and uvicorn's HTTP
parser (h11) answers 400 to a field value with a control character.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from chaser_conformance.server.store import Account, Store


class Endpoints(BaseModel):
    control: str
    video: str | None = None


class SessionInfo(BaseModel):
    id: str
    created_at: str
    session_type: str
    status: str
    endpoints: Endpoints
    active_connection_leases: int | None = None
    persistence: bool | None = None
    workspace_id: str | None = None


class NotFound(BaseModel):
    detail: str


STORE = Store()  # the reference server's accounts, tokens and sessions
app = FastAPI(title="Chaser Core API (FastAPI)")
bearer = HTTPBearer()


def current_account(credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> Account:
    account = STORE.account_for(credentials.credentials)
    if account is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Invalid authentication credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return account


@app.get(
    "/v1/sessions/{session_id}",
    response_model=SessionInfo,
    response_model_exclude_unset=True,
    responses={404: {"model": NotFound}},
)
def get_session(session_id: str, account: Annotated[Account, Depends(current_account)]) -> dict:
    session = STORE.find(account, session_id)
    if session is None:  # unknown, or another account's: the same answer
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Session not found")
    return session


if __name__ == "__main__":
    import uvicorn
    from serving import announce, listening_socket

    sock = listening_socket()
    announce(sock.getsockname()[1])
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[sock])
