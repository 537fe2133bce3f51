"""Lead assignment rules with their round-robin state, and the lead fields rules look at
(region, product interest). Frozen copies of the models as they were at this step."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("sales_lead", "region", CharField(max_length=100, null=True)),
        migrator.add_column("sales_lead", "product_interest",
                            CharField(max_length=100, null=True)),
    )

    class AssignmentRule(Model):
        id = AutoField()
        position = IntegerField(default=0)
        name = CharField(max_length=100)
        active = BooleanField(default=True)
        conditions = TextField(default="{}")
        user_ids = TextField(default="[]")
        team_id = IntegerField(null=True)
        notify = BooleanField(default=True)
        last_user_id = IntegerField(null=True)
        turns = IntegerField(default=0)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "sales_assignment_rule"

    db.create_tables([AssignmentRule])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "sales_assignment_rule"')
    migrator.migrate(
        migrator.drop_column("sales_lead", "product_interest"),
        migrator.drop_column("sales_lead", "region"),
    )
