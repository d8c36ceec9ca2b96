"""Response and remission (domain.md §1.5): pure arithmetic over totals."""


def change_pct(baseline: int | None, current: int | None) -> int | None:
    """(baseline - current) / baseline x 100, rounded; None without a usable baseline."""
    if baseline is None or current is None or baseline <= 0:
        return None  # guard baseline = 0 (domain.md §1.5)
    return round((baseline - current) * 100 / baseline)


def is_response(pct: int | None, threshold_pct: int = 50) -> bool:
    """Response = a drop of at least 50 % from baseline [R12][R6]."""
    return pct is not None and pct >= threshold_pct


def is_remission(total: int | None, remission_max: int | None) -> bool:
    """Remission = the total at or below the scale's cut-off (configurable per scale)."""
    return total is not None and remission_max is not None and total <= remission_max
