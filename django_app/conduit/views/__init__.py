"""Handlers, one module per spec tag; each method carries its spec operationId."""
