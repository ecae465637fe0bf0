"""Charging sessions: what stations report of a charge, priced when it ends, and the
housekeeping that closes sessions no station will end."""
