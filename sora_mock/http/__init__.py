"""The HTTP layer: aiohttp's server, the one request pipeline, the admin routes (CONTRACT E1)."""
