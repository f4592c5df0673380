"""The ports kept in dicts: real implementations for tests and for running without a database."""
