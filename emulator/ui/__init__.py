"""The web inbox: server-rendered pages over the recorded sends, deliveries and journal."""
