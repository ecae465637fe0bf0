"""Simulated OCPP charging stations (`evcms simulate`, tests and benchmarks use them)."""
