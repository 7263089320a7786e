"""The baseline: a bare FastAPI hello-world app, served the same way as the emulator."""

from fastapi import FastAPI

app = FastAPI()


@app.post("/")
async def hello() -> dict[str, str]:
    return {"message": "Hello World"}
