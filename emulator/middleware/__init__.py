"""ASGI middleware around /rest: the body cap, the request journal and fault injection."""
