"""Deal details (probability override, forecast category, won/lost reasons, closing and
stage-entry times, organisation), the stage history, the admin-editable lists and settings
(frozen copies of the models as they were at this step)."""
from peewee import *


def up(migrator, db):
    class Organization(Model):
        id = AutoField()

        class Meta:
            database = db
            table_name = "contacts_organization"

    class Deal(Model):
        id = AutoField()

        class Meta:
            database = db
            table_name = "sales_deal"

    migrator.migrate(
        migrator.add_column("sales_deal", "organization_id", ForeignKeyField(
            Organization, field=Organization.id, null=True, on_delete="SET NULL")),
        migrator.add_column("sales_deal", "probability", IntegerField(null=True)),
        migrator.add_column("sales_deal", "forecast_category",
                            CharField(max_length=12, default="pipeline")),
        migrator.add_column("sales_deal", "won_reason", CharField(max_length=50, null=True)),
        migrator.add_column("sales_deal", "lost_reason", CharField(max_length=50, null=True)),
        migrator.add_column("sales_deal", "closed_at", DateTimeField(null=True)),
        migrator.add_column("sales_deal", "stage_entered_at", DateTimeField(null=True)),
        # Covering indexes of the forecast's aggregates (open deals by expected close, won
        # deals by closing time).
        migrator.add_index("sales_deal", (
            "status", "expected_close", "currency", "deleted_at", "forecast_category",
            "pipeline_id", "stage", "probability", "owner_id", "team_id", "amount"), False),
        migrator.add_index("sales_deal", (
            "status", "closed_at", "currency", "deleted_at", "pipeline_id", "owner_id",
            "team_id", "amount"), False),
        # ...and of the board's column totals (a pipeline's open deals).
        migrator.add_index("sales_deal", (
            "pipeline_id", "status", "deleted_at", "stage", "currency", "probability",
            "owner_id", "team_id", "amount"), False),
    )

    class DealStage(Model):
        id = AutoField()
        deal = ForeignKeyField(Deal, on_delete="CASCADE")
        pipeline_id = IntegerField()
        stage = CharField(max_length=50)
        entered_at = DateTimeField()
        left_at = DateTimeField(null=True)
        seconds = IntegerField(null=True)
        user_id = IntegerField(null=True)

        class Meta:
            database = db
            table_name = "sales_deal_stage"

    class Option(Model):
        id = AutoField()
        kind = CharField(max_length=30)
        key = CharField(max_length=50)
        label_en = CharField(max_length=100)
        label_fa = CharField(max_length=100)
        position = IntegerField(default=0)
        active = BooleanField(default=True)

        class Meta:
            database = db
            table_name = "sales_option"
            indexes = ((("kind", "key"), True),)

    class Setting(Model):
        key = CharField(max_length=50, primary_key=True)
        value = TextField()

        class Meta:
            database = db
            table_name = "sales_setting"

    db.create_tables([DealStage, Option, Setting])
    # Deals that exist already entered their current stage when last changed, as far as
    # anyone can tell: start their history there.
    db.execute_sql('UPDATE "sales_deal" SET "stage_entered_at" = "updated_at"')
    db.execute_sql(
        'INSERT INTO "sales_deal_stage" ("deal_id", "pipeline_id", "stage", "entered_at") '
        'SELECT "id", "pipeline_id", "stage", "updated_at" FROM "sales_deal" '
        "WHERE \"status\" = 'open'")
    db.execute_sql('UPDATE "sales_deal" SET "closed_at" = "updated_at" '
                   "WHERE \"status\" <> 'open'")


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "sales_setting"')
    db.execute_sql('DROP TABLE IF EXISTS "sales_option"')
    db.execute_sql('DROP TABLE IF EXISTS "sales_deal_stage"')
    from playhouse.migrate import make_index_name

    open_columns = ("status", "expected_close", "currency", "deleted_at", "forecast_category",
                    "pipeline_id", "stage", "probability", "owner_id", "team_id", "amount")
    won_columns = ("status", "closed_at", "currency", "deleted_at", "pipeline_id", "owner_id",
                   "team_id", "amount")
    board_columns = ("pipeline_id", "status", "deleted_at", "stage", "currency", "probability",
                     "owner_id", "team_id", "amount")
    migrator.migrate(
        migrator.drop_index("sales_deal", make_index_name("sales_deal", board_columns)),
        migrator.drop_index("sales_deal", make_index_name("sales_deal", won_columns)),
        migrator.drop_index("sales_deal", make_index_name("sales_deal", open_columns)),
        *[migrator.drop_column("sales_deal", column) for column in (
            "stage_entered_at", "closed_at", "lost_reason", "won_reason", "forecast_category",
            "probability", "organization_id")],
    )
