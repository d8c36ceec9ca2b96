"""Thin views of treatment, one module per section of the work: parse, call a service,
redirect or render."""
