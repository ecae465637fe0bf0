"""The two decisions' tables (one row per rule and per precedence conflict), shared by the
domain tests (tests/domain/test_decisions.py) and the GraphQL ones (accessCheck)."""
