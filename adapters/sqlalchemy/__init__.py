"""The ports on SQLAlchemy 2 Core (async): SQLite for the embedded default, PostgreSQL in production."""
