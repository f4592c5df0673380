"""Password hashing (argon2id) and tokens (JWT access tokens, opaque refresh tokens)."""
