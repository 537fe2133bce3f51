"""Read-only views of the tenant's users and teams, for plugins that assign work to people
(lead routing, a team calendar, an owner's name on a card). Plugins never read the kernel's
identity tables themselves."""

from __future__ import annotations


def find_users(ids=None, *, team_id: int | None = None, active_only: bool = True
               ) -> list[dict]:
    """Users of the bound tenant, by id: ``{"id", "name", "display_name", "email",
    "language", "active", "team_ids", "primary_team_id"}`` each.

    :param ids: only these user ids (any iterable); ``None`` for every user.
    :param team_id: only members of this team or of a team below it.
    :param active_only: leave out disabled users (the default).
    """
    from peyvand.identity import Membership, User, team_tree

    query = User.select().order_by(User.id)
    if ids is not None:
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return []
        query = query.where(User.id.in_(wanted))
    if active_only:
        query = query.where(User.is_active)
    users = list(query)
    if not users:
        return []
    memberships: dict[int, list[tuple[int, bool]]] = {}
    for user_id, team, primary in (Membership.select(Membership.user, Membership.team,
                                                     Membership.is_primary)
                                   .where(Membership.user.in_([u.id for u in users]))
                                   .order_by(Membership.id).tuples()):
        memberships.setdefault(user_id, []).append((team, primary))
    below = team_tree().get(team_id, {team_id}) if team_id is not None else None
    out = []
    for user in users:
        rows = memberships.get(user.id, [])
        teams = [t for t, _ in rows]
        if below is not None and not below & set(teams):
            continue
        primary = next((t for t, p in rows if p), teams[0] if teams else None)
        out.append({"id": user.id, "name": user.name,
                    "display_name": user.display_name or user.name, "email": user.email,
                    "language": user.language, "active": bool(user.is_active),
                    "team_ids": teams, "primary_team_id": primary})
    return out


def find_teams(ids=None) -> list[dict]:
    """Teams of the bound tenant, by id: ``{"id", "name", "parent_id"}`` each (``ids``:
    only these)."""
    from peyvand.identity import Team

    query = Team.select(Team.id, Team.name, Team.parent).order_by(Team.id)
    if ids is not None:
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return []
        query = query.where(Team.id.in_(wanted))
    return [{"id": i, "name": n, "parent_id": p} for i, n, p in query.tuples()]
