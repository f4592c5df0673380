"""The job engine (procrastinate): its connectors, its schema, and the delivery queue the use
cases see."""
