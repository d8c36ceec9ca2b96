"""The writes of treatment, one module per section of the work: approving courses
(`courses`), infusion sessions step by step (`infusions`), making up and double-checking
the dose (`preparations`), the pump's rate changes, pauses and the amount given (`pump`),
chair alerts (`alerts`), TES (`tes`), notes (`notes`) and site settings (`settings`).

Each service locks the rows it changes before checking their state, writes its rows and its
audit row in one transaction, and raises `TreatmentRefused` with a message for the person when
the step is not allowed. Callers use `services.<name>`; the names below are the public ones.
"""

from clinic.treatment.services.alerts import (  # noqa: F401
    acknowledge_alert,
    escalate_overdue_alerts,
    notify_alert,
    raise_overdue_vitals_alerts,
    resolve_alert,
)
from clinic.treatment.services.common import (  # noqa: F401
    CLOCK_SKEW,
    TreatmentRefused,
    locked_session,
    move,
    require_physician,
)
from clinic.treatment.services.courses import (  # noqa: F401
    approve_course,
)
from clinic.treatment.services.infusions import (  # noqa: F401
    PreCheckInput,
    VitalsInput,
    chart_differences,
    check_in_patient,
    current_dose,
    decide_on_blood_pressure,
    discharge_patient,
    end_infusion,
    interrupt_session,
    open_infusion_session,
    precheck_initial,
    record_adverse_event,
    record_ketamine_administration,
    record_precheck,
    record_score,
    record_vitals,
    resume_session,
    sign_dose,
    start_infusion,
    start_infusion_for_visit,
    stop_session,
)
from clinic.treatment.services.notes import (  # noqa: F401
    write_session_note,
)
from clinic.treatment.services.preparations import (  # noqa: F401
    PreparationInput,
    calculate_preparation,
    check_dose_preparation,
    record_dose_preparation,
)
from clinic.treatment.services.pump import (  # noqa: F401
    change_infusion_rate,
)
from clinic.treatment.services.settings import (  # noqa: F401
    co_sign_treatment_settings,
    pending_settings_change,
    propose_treatment_settings,
    reject_treatment_settings,
    save_treatment_settings,
)
from clinic.treatment.services.tes import (  # noqa: F401
    complete_tes_session,
    start_tes_session,
)
from clinic.treatment.services.visits import OPEN_VISIT  # noqa: F401
