"""Lead capture forms, the per-address submission log that rate-limits them, and the form a
lead came from. Frozen copies of the models as they were at this step."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("sales_lead", "form_id", IntegerField(null=True)),
        migrator.add_index("sales_lead", ("form_id",), False),
    )

    class LeadForm(Model):
        id = AutoField()
        slug = CharField(max_length=64, unique=True)
        title = TextField()
        language = CharField(max_length=2, default="fa")
        fields = TextField()
        source = CharField(max_length=50, default="web_form")
        lead_type = CharField(max_length=20, default="marketing")
        owner_id = IntegerField(null=True)
        team_id = IntegerField(null=True)
        thank_you = TextField(default="{}")
        redirect_url = CharField(max_length=500, null=True)
        enabled = BooleanField(default=True)
        notify_owner = BooleanField(default=True)
        submissions = IntegerField(default=0)
        spam = IntegerField(default=0)
        last_submission_at = DateTimeField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        created_by = IntegerField(null=True)

        class Meta:
            database = db
            table_name = "sales_lead_form"

    class FormHit(Model):
        id = AutoField()
        address = CharField(max_length=64)
        at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "sales_form_hit"
            indexes = ((("address", "at"), False),)

    db.create_tables([LeadForm, FormHit])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "sales_form_hit"')
    db.execute_sql('DROP TABLE IF EXISTS "sales_lead_form"')
    migrator.migrate(
        migrator.drop_index("sales_lead", "sales_lead_form_id"),
        migrator.drop_column("sales_lead", "form_id"),
    )
