"""push-emulator: a local stand-in for D·engage's push REST API."""

__version__ = "0.1.0"

# The two URL prefixes: the emulated API, and everything the emulator adds. Set here once, so
# the app, the middleware, the client and the inbox cannot disagree.
REST_PREFIX = "/rest"
CONTROL_PREFIX = "/_emulator"
