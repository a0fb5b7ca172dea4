"""What a test suite uses (CONTRACT F): the fixture's handle (`handle`, `client`, `async_handle`,
`apphandle`), the server on a thread (`server`), the webhook receiver, the pytest plugin and the
client report."""
