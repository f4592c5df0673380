"""The repository ports over in-memory tables, one module per repository of the unit of work. Every
read and write copies the entity, so a caller that changes an entity without saving it changes
nothing, exactly as with a database."""
