"""Who calls the emulated API: the runtime behind a request, and the push caller's checks in
the contract's order. No FastAPI here: the /rest stack loads and runs without it."""

from starlette.requests import Request

from emulator.errors import TooManyRequests
from emulator.push.auth import (
    INSTANT_CALL,
    PushCall,
    authenticate,
    bucket_key,
    require_permission,
)
from emulator.push.fixtures import ApiUser
from emulator.runtime import Runtime
from emulator.web import client_ip


# Dependencies are `async def` on purpose: FastAPI runs plain `def` ones in a thread pool,
# a thread hop per request that costs more than the work they do.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def push_caller(request: Request, runtime: Runtime, call: PushCall = INSTANT_CALL) -> ApiUser:
    """The contract's order: allowlist 403 → token 401 → permission 403 → bucket 429, each
    refusal in the texts of `call` (SendInstantPush's or SendTransactionalPush's)."""
    user = authenticate(
        runtime.users,
        runtime.tokens,
        request.headers.get("authorization"),
        client_ip(request.scope),
        call,
    )
    request.state.api_user = user.userkey
    require_permission(user, call)
    # Every authenticated call takes a token; a refused one is answered before the body is read.
    wait = runtime.limiter.take(bucket_key(user, call))
    if wait is not None:
        raise TooManyRequests(wait, call.too_many_requests)
    return user
