"""Escalation rules: the YAML files admins edit, their schema, and the engine that reads them."""
