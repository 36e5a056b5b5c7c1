"""The KI-Werkstatt dashboard: usage figures from the audit log and the process prioritisation."""
