# The treatment plan becomes `courses.Course`: first its table takes the new app's name, so
# the move itself (courses 0001, treatment 0005) changes only Django's state, not the data.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("treatment", "0003_link_sessions_to_appointments")]

    operations = [migrations.AlterModelTable(name="treatmentcourse", table="courses_course")]
