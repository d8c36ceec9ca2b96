"""No clinical threshold is a constant in code (issue 14).

A threshold the clinic may set (a blood-pressure limit, a non-response percentage, a minimum
dose) is clinic data: a site's TreatmentSettings, the formulary's AdequacyRules or MinimumDose,
with its provenance, changed only with a physician's co-signature. This test reads the modules
that hold clinical rules and fails on a number written as a constant there: a module-level
name bound to a number, a dataclass field with a numeric default, or a comparison with a
number. What stays fixed is allowed below, each with the reason it is not the clinic's to set.
"""

import ast
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

RULES_MODULES = [
    "clinic/patients/screening.py",
    "clinic/patients/assessment.py",
    "clinic/treatment/rules.py",
    "clinic/treatment/models.py",
    "clinic/courses/models.py",
]

# (module, name): why it is fixed. Definitions of a published criterion and absolute ceilings
# are not clinic settings; a site's own limit is set below them.
ALLOWED_NAMES = {
    ("clinic/patients/screening.py", "PERIPARTUM_DAYS"): "DSM-5 definition, 4 weeks [R80]",
    ("clinic/patients/screening.py", "ELDERLY_AGE"): "seed's risk group, label [R48]",
    ("clinic/patients/assessment.py", "CANADIAN_PCT"): "definition of the Canadian flag [R6]",
    ("clinic/treatment/rules.py", "MG"): "rounding step of a dose, not a threshold",
    ("clinic/treatment/rules.py", "ML"): "rounding step of a volume, not a threshold",
    ("clinic/treatment/models.py", "TES_CEILING_MA"): "absolute ceiling 4 mA, Bikson 2016 [R70]",
    ("clinic/treatment/models.py", "TES_CEILING_MINUTES"): "absolute ceiling 40 min [R70]",
    ("clinic/treatment/models.py", "TES_CEILING_CHARGE_C"): "absolute ceiling 7.2 C [R70]",
    ("clinic/courses/models.py", "DOSE_CEILING_MG_PER_KG"): "absolute ceiling 0.75 mg/kg [R42]",
}
# (module, function): comparisons with numbers inside are a published instrument's definition.
ALLOWED_COMPARISONS = {
    ("clinic/patients/screening.py", "risk_flags"): "DSM-5 'recurrent': two or more episodes",
    ("clinic/patients/assessment.py", "trd_status"): "TRD: >= 2 failed trials [R5][R6]",
    ("clinic/patients/assessment.py", "_chain"): "Thase-Rush stages [R4]",
    ("clinic/patients/assessment.py", "thase_rush_stage"): "Thase-Rush stages [R4]",
    ("clinic/patients/assessment.py", "maudsley_duration_points"): "Fekadu 2018 Table 3 [R1]",
    ("clinic/patients/assessment.py", "maudsley_failure_points"): "Fekadu 2018 [R1][R3-bis]",
    ("clinic/patients/assessment.py", "maudsley_band"): "Fekadu 2018 bands [R1]",
}
# Numbers that are arithmetic, not thresholds.
NEUTRAL = {0, 1}


def _is_number(node) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int | float | Decimal) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _is_number(node.operand)
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Decimal":
        return True
    if isinstance(node, ast.Tuple):
        return bool(node.elts) and all(_is_number(e) for e in node.elts)
    return False


def _numeric_constants(path: str, root: Path = ROOT) -> list[str]:
    source = (root / path).read_text()
    tree = ast.parse(source)
    found = []
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign) and _is_number(node.value):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None and _is_number(node.value):
            targets = [node.target]
        for target in targets:
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            for name in names:
                if (path, name.id) not in ALLOWED_NAMES:
                    found.append(f"{path}:{node.lineno} {name.id}")
        # Dataclass fields with a numeric default (pure rules modules hold no models).
        if isinstance(node, ast.ClassDef) and not path.endswith("models.py"):
            for item in node.body:
                numeric = isinstance(item, ast.AnnAssign) and item.value and _is_number(item.value)
                if numeric and not (
                    isinstance(item.value, ast.Constant) and item.value.value in NEUTRAL
                ):
                    found.append(f"{path}:{item.lineno} {node.name}.{item.target.id}")
    if not path.endswith("models.py"):
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            if (path, function.name) in ALLOWED_COMPARISONS:
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.Compare):
                    continue
                for side in [node.left, *node.comparators]:
                    if _is_number(side) and not (
                        isinstance(side, ast.Constant) and side.value in NEUTRAL
                    ):
                        found.append(f"{path}:{node.lineno} {ast.get_source_segment(source, node)}")
    return found


@pytest.mark.parametrize("path", RULES_MODULES)
def test_no_clinical_threshold_is_a_constant(path):
    assert _numeric_constants(path) == []


def test_the_check_finds_a_threshold_written_in_code(tmp_path):
    module = tmp_path / "clinic" / "patients" / "rules_example.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "UNCONTROLLED_SYSTOLIC = 180\n"
        "class Rules:\n    failure_below_pct: int = 25\n"
        "def screen(bp):\n    return bp > 140\n"
    )
    found = _numeric_constants("clinic/patients/rules_example.py", root=tmp_path)
    assert [f.split(" ", 1)[1] for f in found] == [
        "UNCONTROLLED_SYSTOLIC",
        "Rules.failure_below_pct",
        "bp > 140",
    ]


def test_every_allowed_name_still_exists():
    # An allowance for a name that is gone would hide a new constant of the same name.
    for path, name in ALLOWED_NAMES:
        assert name in (ROOT / path).read_text(), (path, name)
