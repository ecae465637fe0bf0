"""The modules Tortoise loads as the single `evcms` app."""

MODEL_MODULES = [
    "domain.organisations.models",
    "domain.groups.models",
    "domain.operators.models",
    "domain.stations.models",
    "domain.mail.models",
    "domain.users.models",
    "domain.pricing.models",
    "domain.history.models",
    "domain.events.models",
    "domain.charging.models",
    "domain.commands.models",
]
