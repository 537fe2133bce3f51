"""Custom fields an admin adds at runtime, and their values (one row per value)."""
from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    DecimalField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):
    class CustomField(Model):
        id = AutoField()
        entity = CharField(max_length=100)
        name = CharField(max_length=60)
        type = CharField(max_length=16)
        label_en = CharField(max_length=100)
        label_fa = CharField(max_length=100, null=True)
        choices = TextField(null=True)
        link_entity = CharField(max_length=100, null=True)
        required = BooleanField(default=False)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "peyvand_custom_field"
            indexes = ((("entity", "name"), True),)

    class CustomValue(Model):
        id = AutoField()
        entity = CharField(max_length=100)
        record_id = IntegerField()
        field_id = IntegerField()
        value_text = TextField(null=True)
        value_num = DecimalField(max_digits=30, decimal_places=10, null=True)
        value_date = CharField(max_length=32, null=True)

        class Meta:
            database = db
            table_name = "peyvand_custom_value"
            indexes = (
                (("entity", "record_id"), False),
                (("field_id", "value_text"), False),
                (("field_id", "value_num"), False),
                (("field_id", "value_date"), False),
            )

    db.create_tables([CustomField, CustomValue])


def down(migrator, db):
    db.execute_sql('DROP TABLE "peyvand_custom_value"')
    db.execute_sql('DROP TABLE "peyvand_custom_field"')
