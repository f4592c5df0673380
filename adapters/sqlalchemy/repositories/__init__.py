"""The repository ports in SQLAlchemy Core, one module per repository of the unit of work. Rows are
translated to domain entities (adapters.sqlalchemy.rows); the domain never sees a row. Every rule
that must hold under concurrency is one conditional statement."""
