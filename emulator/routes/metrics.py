"""GET /metrics: Prometheus' text format, when EMULATOR_METRICS is on (admin token applies)."""

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from emulator.metrics import CONTENT_TYPE
from emulator.routes.deps import RuntimeDep

router = APIRouter(tags=["metrics"])

_EXAMPLE = """\
# HELP push_emulator_sends_total Sends that reached each status, by kind.
# TYPE push_emulator_sends_total counter
push_emulator_sends_total{kind="instant",status="Queued"} 3.0
push_emulator_sends_total{kind="instant",status="Completed"} 3.0
# HELP push_emulator_webhook_attempts_total Webhook attempts, by result.
# TYPE push_emulator_webhook_attempts_total counter
push_emulator_webhook_attempts_total{result="delivered"} 9.0
"""


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Every metric in Prometheus' text exposition format.",
            "content": {"text/plain": {"schema": {"type": "string"}, "example": _EXAMPLE}},
        }
    },
)
async def metrics(runtime: RuntimeDep) -> Response:
    """Requests, sends, deliveries, storage, the writer, streams, webhooks and faults."""
    assert runtime.metrics is not None  # app.py serves this route only when metrics are on
    # Every write queued before the scrape (the journal rows of the answers already sent)
    # is counted; then off the loop, since a scrape counts rows in the database.
    await runtime.writer.barrier()
    text = await run_in_threadpool(runtime.metrics.render)
    return Response(text, media_type=CONTENT_TYPE)
