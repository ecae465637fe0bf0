"""The one place that expands a principal into the rows it may see. Deny by default.

Every filter by organisation or by group path that decides what a caller may see is here
(tests/domain/test_scope_module.py fails when a module outside this package writes one).
"""

from domain.scope.records import (
    visible_exceptions,
    visible_mail,
    visible_records,
    visible_sessions,
    visible_tokens,
)
from domain.scope.tree import (
    discovered_stations,
    group_or_base,
    has_scope,
    in_subtree,
    organisation_rows,
    parse_id,
    path_in_scope,
    user_group_or_none,
    visible_groups,
    visible_operators,
    visible_stations,
    visible_tariffs,
    visible_user_groups,
    visible_users,
)

__all__ = [
    "discovered_stations",
    "group_or_base",
    "has_scope",
    "in_subtree",
    "organisation_rows",
    "parse_id",
    "path_in_scope",
    "user_group_or_none",
    "visible_exceptions",
    "visible_groups",
    "visible_mail",
    "visible_operators",
    "visible_records",
    "visible_sessions",
    "visible_stations",
    "visible_tariffs",
    "visible_tokens",
    "visible_user_groups",
    "visible_users",
]
