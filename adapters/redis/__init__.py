"""Redis-backed adapters: state shared by every worker and host."""
