from django.db import migrations


class Migration(migrations.Migration):
    """The addenda now live in core.NoteAddendum (moved by the previous migration)."""

    dependencies = [("treatment", "0007_copy_strike_outs_signers_and_addenda")]

    operations = [migrations.DeleteModel(name="NoteAddendum")]
