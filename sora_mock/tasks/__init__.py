"""Tasks (CONTRACT B3): the record (`task`), its declared lifecycle (`lifecycle`) and the store
that keeps them (`store`). Pure: no HTTP, no event loop."""

from .task import FINAL, REFUNDED, STATUSES, UNSETTLED, Route, Status, Task

__all__ = ["FINAL", "REFUNDED", "STATUSES", "UNSETTLED", "Route", "Status", "Task"]
