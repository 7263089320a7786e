"""Webhooks: every event POSTed, signed, to the receivers a user names, off the send's path."""
