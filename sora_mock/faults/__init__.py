"""Error injection (CONTRACT C): the rule a user writes (`rule`) and the engine that matches,
selects and decides (`engine`, with its table of actions and where each applies)."""
