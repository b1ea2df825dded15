"""Command handlers, one module per family; each parses, calls the domain code, renders."""
