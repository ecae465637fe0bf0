"""The text of the e-mails operators receive."""

from __future__ import annotations

from domain.operators.models import LinkPurpose, Operator


def render(purpose: LinkPurpose, operator: Operator, link_base: str, token: str) -> tuple[str, str]:
    greeting = f"Hi {operator.first_name or operator.username},"
    if purpose == LinkPurpose.INVITATION:
        link = f"{link_base}/accept-invitation?token={token}"
        return (
            "You are invited to evcms",
            f"{greeting}\n\nYou have been invited to manage charging stations with evcms "
            f"as '{operator.username}'.\nSet your password to activate your account:\n\n"
            f"{link}\n\nThe link is valid for 7 days.\n",
        )
    link = f"{link_base}/reset-password?token={token}"
    return (
        "Reset your evcms password",
        f"{greeting}\n\nSomeone asked to reset the password of '{operator.username}'.\n"
        f"Set a new password here:\n\n{link}\n\nThe link is valid for 2 hours. "
        "If you did not ask for this, ignore this message.\n",
    )
