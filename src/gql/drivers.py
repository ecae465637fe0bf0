"""Driver invitations and applying a user group to stations (seed 000): parse, call, map."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.pricing import applications
from domain.pricing.applications import StationFilter
from domain.users import invitations
from domain.users.invitations import MAX_FILE_BYTES, InvitationRequest, UploadedFile
from gql.history import ManagementRecord
from gql.policy import PUBLIC, Policy
from gql.types.drivers import (
    ApplyUserGroupPayload,
    ConfirmDriverAccountPayload,
    ConfirmedDriver,
    InviteDriversInput,
    InviteDriversPayload,
    PreviewUserGroupApplicationPayload,
    RemoveUserGroupApplicationPayload,
    StationSelectionInput,
    UserGroupApplicationPreview,
)


async def _uploaded(value: Any) -> UploadedFile | None:
    """Read the multipart file part (at most the limit + 1 byte, so size can be checked)."""
    if value is None:
        return None
    if not hasattr(value, "read"):  # a plain string sent for the Upload scalar
        return UploadedFile(filename="", content_type="", data=b"", is_file=False)
    data = await value.read(MAX_FILE_BYTES + 1)
    return UploadedFile(
        filename=getattr(value, "filename", "") or "",
        content_type=getattr(value, "content_type", "") or "",
        data=data,
    )


def _selection(value: StationSelectionInput | None) -> StationFilter:
    if value is None:
        return StationFilter()
    return StationFilter(
        group_id=value.group_id,
        search=value.search,
        power_type=value.power_type,
        station_ids=None if value.station_ids is None else [str(i) for i in value.station_ids],
    )


@strawberry.type
class DriverMutation:
    @strawberry.mutation(
        extensions=[Policy("user.create")],
        description="Invite drivers by e-mail; each address is reported (invited, invalid, "
        "already present) and each invited driver gets a link to confirm the account",
    )
    async def invite_drivers(
        self, info: strawberry.Info, input: InviteDriversInput
    ) -> InviteDriversPayload:
        ctx = info.context
        report = await invitations.invite(
            principal=ctx.actor,
            request=InvitationRequest(
                emails=list(input.emails or []),
                text=input.text,
                csv=await _uploaded(input.csv),
                group_id=input.group_id,
                user_group_id=input.user_group_id,
            ),
            link_base=ctx.services.link_base,
        )
        for message_id in report.message_ids:
            ctx.send_mail(message_id)
        return InviteDriversPayload.from_domain(report)

    @strawberry.mutation(
        extensions=[Policy(PUBLIC)],
        description="The invited driver confirms the account with the e-mailed token (once)",
    )
    async def confirm_driver_account(
        self, info: strawberry.Info, token: str, first_name: str, last_name: str
    ) -> ConfirmDriverAccountPayload:
        user = await invitations.confirm(token=token, first_name=first_name, last_name=last_name)
        return ConfirmDriverAccountPayload(
            driver=ConfirmedDriver(
                email=user.email, first_name=user.first_name, last_name=user.last_name
            )
        )

    @strawberry.mutation(
        extensions=[Policy("user_group.update")],
        description="List every matching station and the change applying the user group "
        "would make to it; changes nothing",
    )
    async def preview_user_group_application(
        self,
        info: strawberry.Info,
        user_group_id: strawberry.ID,
        filter: StationSelectionInput | None = None,
    ) -> PreviewUserGroupApplicationPayload:
        plan = await applications.preview(
            principal=info.context.actor,
            user_group_id=user_group_id,
            selection=_selection(filter),
        )
        return PreviewUserGroupApplicationPayload(
            preview=UserGroupApplicationPreview.from_domain(plan)
        )

    @strawberry.mutation(
        extensions=[Policy("user_group.update")],
        description="Apply the user group to the stations the filter selects now; refused "
        "unless confirmStationCount is the number of stations to be modified",
    )
    async def apply_user_group(
        self,
        info: strawberry.Info,
        user_group_id: strawberry.ID,
        confirm_station_count: int,
        filter: StationSelectionInput | None = None,
    ) -> ApplyUserGroupPayload:
        result = await applications.apply(
            principal=info.context.actor,
            user_group_id=user_group_id,
            selection=_selection(filter),
            confirm_station_count=confirm_station_count,
        )
        return ApplyUserGroupPayload(
            applied=UserGroupApplicationPreview.from_domain(result.plan),
            record=ManagementRecord.from_row(result.record),
        )

    @strawberry.mutation(
        extensions=[Policy("user_group.update")],
        description="Stop applying the user group at these stations",
    )
    async def remove_user_group_application(
        self, info: strawberry.Info, user_group_id: strawberry.ID, station_ids: list[strawberry.ID]
    ) -> RemoveUserGroupApplicationPayload:
        result = await applications.remove(
            principal=info.context.actor,
            user_group_id=user_group_id,
            station_ids=[str(i) for i in station_ids],
        )
        return RemoveUserGroupApplicationPayload(
            removed_station_ids=[strawberry.ID(str(i)) for i in result.station_ids],
            record=ManagementRecord.from_row(result.record),
        )
