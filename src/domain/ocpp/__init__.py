"""What stations report over OCPP, version-neutral: events, live point status."""
