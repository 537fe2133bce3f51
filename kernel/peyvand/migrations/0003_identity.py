"""Users, teams, roles, grants, field rules and API tokens."""
from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db

    class User(Base):
        id = AutoField()
        name = CharField(max_length=150, unique=True)
        display_name = CharField(max_length=200, null=True)
        email = CharField(max_length=254, null=True)
        password_hash = CharField(max_length=255, null=True)
        is_active = BooleanField(default=True)
        is_superuser = BooleanField(default=False)
        language = CharField(max_length=8, default="fa")
        calendar = CharField(max_length=12, default="jalali")
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            table_name = "peyvand_user"

    class Team(Base):
        id = AutoField()
        name = CharField(max_length=150, unique=True)
        parent = ForeignKeyField("self", null=True, on_delete="RESTRICT")

        class Meta:
            table_name = "peyvand_team"

    class Role(Base):
        id = AutoField()
        key = CharField(max_length=64, unique=True)
        label_en = CharField(max_length=100)
        label_fa = CharField(max_length=100, null=True)
        builtin = BooleanField(default=False)

        class Meta:
            table_name = "peyvand_role"

    class Membership(Base):
        user = ForeignKeyField(User, on_delete="CASCADE")
        team = ForeignKeyField(Team, on_delete="CASCADE")
        is_primary = BooleanField(default=False)

        class Meta:
            table_name = "peyvand_membership"
            indexes = ((("user", "team"), True),)

    class UserRole(Base):
        user = ForeignKeyField(User, on_delete="CASCADE")
        role = ForeignKeyField(Role, on_delete="CASCADE")

        class Meta:
            table_name = "peyvand_user_role"
            indexes = ((("user", "role"), True),)

    class Grant(Base):
        role = ForeignKeyField(Role, on_delete="CASCADE")
        permission = CharField(max_length=150)
        scope = CharField(max_length=8)

        class Meta:
            table_name = "peyvand_grant"
            indexes = ((("role", "permission"), True),)

    class FieldRule(Base):
        role = ForeignKeyField(Role, on_delete="CASCADE")
        entity = CharField(max_length=100)
        field = CharField(max_length=100)
        rule = CharField(max_length=8)

        class Meta:
            table_name = "peyvand_field_rule"
            indexes = ((("role", "entity", "field"), True),)

    class Token(Base):
        id = AutoField()
        user = ForeignKeyField(User, on_delete="CASCADE")
        secret_hash = CharField(max_length=64)
        roles = TextField(null=True)
        label = CharField(max_length=100, null=True)
        created_at = DateTimeField()
        expires_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)
        last_used_at = DateTimeField(null=True)

        class Meta:
            table_name = "peyvand_token"

    db.create_tables([User, Team, Role, Membership, UserRole, Grant, FieldRule, Token])


def down(migrator, db):
    for table in ("peyvand_token", "peyvand_field_rule", "peyvand_grant", "peyvand_user_role",
                  "peyvand_membership", "peyvand_role", "peyvand_team", "peyvand_user"):
        db.execute_sql(f'DROP TABLE "{table}"')
