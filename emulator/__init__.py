"""push-emulator: a local stand-in for D·engage's SendInstantPush REST API."""

__version__ = "0.1.0"
