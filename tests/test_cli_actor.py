"""CLI commands act as a user: --as USER, by default the first administrator."""

import pytest

from peyvand.identity import IdentityError, create_user, disable_user, get_user
from peyvand_sdk import cli_actor, current_actor


@pytest.mark.peyvand_plugins("contacts")
def test_cli_actor_defaults_to_the_first_admin_and_refuses_disabled_users(
        peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(plugins=["contacts"])
    with pytest.raises(IdentityError, match="no administrator to act as"):
        with cli_actor(kernel, "default", None):
            pass
    with kernel.storage.bound("default"):
        create_user("boss", roles=("admin",))
        create_user("seller", roles=("salesperson",))
    with cli_actor(kernel, "default", None) as actor:
        assert (actor.name, actor.via, current_actor()) == ("boss", "cli", actor)
    with cli_actor(kernel, "default", "seller") as actor:
        assert actor.roles == frozenset({"salesperson"})
    assert current_actor() is None
    with kernel.storage.bound("default"):
        disable_user(get_user("seller"))
    with pytest.raises(IdentityError, match="disabled"):
        with cli_actor(kernel, "default", "seller"):
            pass
