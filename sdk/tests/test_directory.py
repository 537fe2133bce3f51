"""find_users and find_teams: the tenant's directory as plugins see it."""

import pytest


@pytest.mark.peyvand_plugins("contacts")
def test_users_by_id_by_team_and_below_and_active_only(peyvand_app):
    from peyvand.identity import create_team, create_user, disable_user
    from peyvand_sdk import find_teams, find_users

    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        north = create_team("شمال")
        rasht = create_team("رشت", parent="شمال")
        create_team("جنوب")
        ali = create_user("ali", roles=("salesperson",), teams=("شمال",))
        sara = create_user("sara", roles=("salesperson",), teams=("رشت",))
        gone = create_user("gone", roles=("salesperson",), teams=("رشت",))
        disable_user(gone)
        assert [u["name"] for u in find_users(team_id=north.id)] == ["ali", "sara"]
        assert [u["name"] for u in find_users(team_id=rasht.id)] == ["sara"]
        assert [u["name"] for u in find_users(team_id=rasht.id, active_only=False)] == [
            "sara", "gone"]
        [found] = find_users([sara.id])
        assert found == {"id": sara.id, "name": "sara", "display_name": "sara",
                         "email": None, "language": "fa", "active": True,
                         "team_ids": [rasht.id], "primary_team_id": rasht.id}
        assert find_users([gone.id]) == [] and find_users([]) == []
        assert find_users([ali.id])[0]["team_ids"] == [north.id]
        assert [t["name"] for t in find_teams()] == ["شمال", "رشت", "جنوب"]
        assert find_teams([rasht.id]) == [{"id": rasht.id, "name": "رشت",
                                           "parent_id": north.id}]
