"""The emulated D·engage account and API, framework-free: contract, acceptance, auth, limits."""
