"""HTTP handlers, one module per spec tag; each handler is marked with its operationId."""
