"""Optional TOTP two-factor login (the secret encrypted, recovery codes hashed) and password-reset
links (the token hashed, expiring, single use)."""
from peewee import (
    AutoField,
    BigIntegerField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    Model,
    TextField,
)


def up(migrator, db):
    class User(Model):
        id = AutoField()

        class Meta:
            database = db
            table_name = "peyvand_user"

    class UserTotp(Model):
        user = ForeignKeyField(User, primary_key=True, on_delete="CASCADE")
        secret = TextField()
        confirmed_at = DateTimeField(null=True)
        last_step = BigIntegerField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "peyvand_user_totp"

    class RecoveryCode(Model):
        id = AutoField()
        user = ForeignKeyField(User, on_delete="CASCADE")
        code_hash = CharField(max_length=64)
        used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "peyvand_recovery_code"

    class PasswordReset(Model):
        id = AutoField()
        user = ForeignKeyField(User, on_delete="CASCADE")
        token_hash = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "peyvand_password_reset"

    db.create_tables([UserTotp, RecoveryCode, PasswordReset])


def down(migrator, db):
    for table in ("peyvand_password_reset", "peyvand_recovery_code", "peyvand_user_totp"):
        db.execute_sql(f'DROP TABLE "{table}"')
