"""The pure core (CONTRACT A1, B, D, G): errors and message templates, the clock, ids, the
ledger, prices, request bodies, the journal and the variants. Nothing here imports aiohttp,
asyncio or pydantic."""
