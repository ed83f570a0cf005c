"""Shipped data: the UK legal taxonomy, the default category tree and vocabularies (YAML files)."""
