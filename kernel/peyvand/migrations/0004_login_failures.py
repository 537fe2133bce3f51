"""Failed logins per address, so guessing from one address is slowed and then locked."""
from peewee import AutoField, CharField, DateTimeField, Model


def up(migrator, db):
    class LoginFailure(Model):
        id = AutoField()
        address = CharField(max_length=64)
        at = DateTimeField()

        class Meta:
            database = db
            table_name = "peyvand_login_failure"
            indexes = ((("address", "at"), False),)

    db.create_tables([LoginFailure])


def down(migrator, db):
    db.execute_sql('DROP TABLE "peyvand_login_failure"')
