"""Sales targets per user or team and period (frozen copy of the model as it was at this
step)."""
from peewee import *


def up(migrator, db):
    class Target(Model):
        id = AutoField()
        user_id = IntegerField(null=True)
        team_id = IntegerField(null=True)
        period = CharField(max_length=10)
        start = DateField()
        end = DateField()
        amount = DecimalField(max_digits=20, decimal_places=0)
        currency = CharField(max_length=3, default="IRR")
        updated_at = DateTimeField()
        updated_by = IntegerField(null=True)

        class Meta:
            database = db
            table_name = "sales_target"
            indexes = (
                (("period", "currency", "user_id"), False),
                (("period", "currency", "team_id"), False),
            )

    db.create_tables([Target])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "sales_target"')
