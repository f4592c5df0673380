"""Use cases (what users do) and the ports (what the use cases need from the outside world)."""
