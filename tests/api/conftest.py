"""The provider routes' tests share the top-level `make_client` and `client` fixtures: a fresh
app per test, served by aiohttp's test server (the one HTTP path the mock has, E1)."""
