from tortoise import migrations
from tortoise.migrations import operations as ops

# Names people tell apart without case become unique without case (issue 14 item 4), each by
# a unique index on lower(...) that the services check under an advisory lock first:
#
# - operators' e-mail addresses, per organisation (a password reset by e-mail names one
#   operator);
# - charging group names, among the children of one parent;
# - tariff names, among the tariffs one charging group owns;
# - station identifiers, per organisation among stations that are not orphans (the exact
#   `uq_station_identifier_live` stays: OCPP admission looks identifiers up exactly).
#
# Existing duplicates are made unique first, never by deleting anything:
#
# - a group or tariff name that repeats one earlier (created first) gets the first free
#   " (2)", " (3)", ... suffix;
# - an operator e-mail address that repeats one kept by another operator (kept by the active
#   one first, then by the one created first) becomes "<address>.duplicate-<n>.invalid":
#   the reserved .invalid domain never delivers, so no mail goes to a stranger, the old
#   address stays readable, and password resets stop going to two accounts; an admin gives
#   that operator a real address again;
# - a station identifier live twice in different cases: only the station seen most recently
#   (then the active one, then the first created) stays live, the others become orphans the
#   way deleting a station makes them (out of their group, EVSE ids back to the pool, OCPP
#   password cleared; their rows and history kept). A real station connects with one exact
#   identity, so the others were duplicates nobody's station used.

GROUPS = """
DO $$
DECLARE r record; k int; candidate text;
BEGIN
  FOR r IN
    SELECT id, parent_id, name FROM (
      SELECT g.id, g.parent_id, g.name, g.created_at, row_number() OVER (
        PARTITION BY g.parent_id, lower(g.name) ORDER BY g.created_at, g.id) AS n
      FROM charging_group g WHERE g.parent_id IS NOT NULL) d
    WHERE d.n > 1 ORDER BY d.created_at, d.id
  LOOP
    k := 2;
    LOOP
      candidate := left(r.name, 100 - length(' (' || k || ')')) || ' (' || k || ')';
      EXIT WHEN NOT EXISTS (SELECT 1 FROM charging_group
                            WHERE parent_id = r.parent_id AND lower(name) = lower(candidate));
      k := k + 1;
    END LOOP;
    UPDATE charging_group SET name = candidate, version = version + 1 WHERE id = r.id;
  END LOOP;
END $$
"""

TARIFFS = """
DO $$
DECLARE r record; k int; candidate text;
BEGIN
  FOR r IN
    SELECT id, group_id, name FROM (
      SELECT t.id, t.group_id, t.name, t.created_at, row_number() OVER (
        PARTITION BY t.group_id, lower(t.name) ORDER BY t.created_at, t.id) AS n
      FROM tariff t) d
    WHERE d.n > 1 ORDER BY d.created_at, d.id
  LOOP
    k := 2;
    LOOP
      candidate := left(r.name, 100 - length(' (' || k || ')')) || ' (' || k || ')';
      EXIT WHEN NOT EXISTS (SELECT 1 FROM tariff
                            WHERE group_id = r.group_id AND lower(name) = lower(candidate));
      k := k + 1;
    END LOOP;
    UPDATE tariff SET name = candidate, version = version + 1 WHERE id = r.id;
  END LOOP;
END $$
"""

OPERATORS = """
UPDATE operator o
SET email = left(o.email, 254 - length(d.suffix)) || d.suffix, version = o.version + 1
FROM (
  SELECT id, '.duplicate-' || n || '.invalid' AS suffix FROM (
    SELECT id, row_number() OVER (
      PARTITION BY organisation_id, lower(email)
      ORDER BY (status = 'active') DESC, created_at, id) AS n
    FROM operator) ranked
  WHERE n > 1) d
WHERE o.id = d.id
"""

STATIONS = """
DO $$
DECLARE later uuid[];
BEGIN
  SELECT coalesce(array_agg(id), '{}') INTO later FROM (
    SELECT id, row_number() OVER (
      PARTITION BY organisation_id, lower(identifier)
      ORDER BY (connected_node IS NOT NULL) DESC, last_seen_at DESC NULLS LAST,
               (state = 'active') DESC, created_at, id) AS n
    FROM charging_station WHERE state <> 'orphan') ranked
  WHERE n > 1;
  UPDATE evse_id SET point_id = NULL
  WHERE point_id IN (SELECT id FROM charging_point WHERE station_id = ANY(later));
  UPDATE charging_point SET evse_id = NULL WHERE station_id = ANY(later);
  UPDATE charging_station
  SET state = 'orphan', group_id = NULL, deleted_at = now(), ocpp_password_hash = NULL,
      version = version + 1
  WHERE id = ANY(later);
END $$
"""


class Migration(migrations.Migration):
    dependencies = [('evcms', '0009_meter_samples_stored_once')]

    initial = False

    operations = [
        ops.RunSQL(OPERATORS, reverse_sql="SELECT 1"),
        ops.RunSQL(
            "CREATE UNIQUE INDEX uq_operator_email ON operator (organisation_id, lower(email))",
            reverse_sql="DROP INDEX IF EXISTS uq_operator_email",
        ),
        ops.RunSQL(GROUPS, reverse_sql="SELECT 1"),
        ops.RunSQL(
            "CREATE UNIQUE INDEX uq_group_sibling_name ON charging_group (parent_id, lower(name))",
            reverse_sql="DROP INDEX IF EXISTS uq_group_sibling_name",
        ),
        ops.RunSQL(TARIFFS, reverse_sql="SELECT 1"),
        ops.RunSQL(
            "CREATE UNIQUE INDEX uq_tariff_group_name ON tariff (group_id, lower(name))",
            reverse_sql="DROP INDEX IF EXISTS uq_tariff_group_name",
        ),
        ops.RunSQL(STATIONS, reverse_sql="SELECT 1"),
        ops.RunSQL(
            "CREATE UNIQUE INDEX uq_station_identifier_key"
            " ON charging_station (organisation_id, lower(identifier)) WHERE state <> 'orphan'",
            reverse_sql="DROP INDEX IF EXISTS uq_station_identifier_key",
        ),
    ]
