"""The baseline: a bare FastAPI hello-world app, served the same way as the emulator."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/readyz")
async def ready() -> dict[str, str]:
    # Only so the bench knows it is up, as it knows the emulator is; never measured.
    return {"status": "ready"}


@app.post("/")
async def hello() -> dict[str, str]:
    return {"message": "Hello World"}
