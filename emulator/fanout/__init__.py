"""The background delivery engine: who a send reaches, what each device shows, and when."""
