"""Scheduled tasks: operations on stations, users and user groups on monthly, weekly, daily
and one-shot schedules in the organisation's time zone."""
