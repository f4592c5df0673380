"""Adapters that wrap a port to remember its answers for a while."""
