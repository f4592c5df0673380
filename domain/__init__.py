"""The bookshop's entities and the rules they keep. Pure Python: no framework, no I/O."""
