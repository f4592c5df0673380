"""Request and response bodies as msgspec Structs. Requests forbid unknown fields: a client can never
set a field the route does not list (no mass assignment)."""
