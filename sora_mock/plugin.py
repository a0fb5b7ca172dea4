"""The pytest plugin (entry point pytest11): fixtures and the marker."""
