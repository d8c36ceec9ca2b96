"""The chair-alert banner on every staff page for the clinicians an alert was sent to."""

from clinic.treatment.selectors import open_notices


def chair_alerts(request):
    """Open chair alerts addressed to the user at the user's sites: one query per request,
    shared with the menu badge (`selectors.open_notices` keeps it on the user)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_clinical:
        return {}
    return {"chair_alert_notices": open_notices(user)}
