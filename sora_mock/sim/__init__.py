"""The one mutable root of a simulation and what hangs off it: deliveries (A7), streams (A8)."""
