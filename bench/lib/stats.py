"""Small statistics for reporting: medians and spreads, never a single number alone."""
import statistics


def summary(values):
    """Median and range of the numbers in values (None entries are left out)."""
    xs = [v for v in values if v is not None]
    if not xs:
        return {"n": 0, "median": None, "min": None, "max": None}
    return {"n": len(xs), "median": statistics.median(xs), "min": min(xs), "max": max(xs)}


def fmt_ms(v, digits=1):
    if v is None:
        return "-"
    if v >= 10000:
        return f"{v / 1000:.1f} s"
    return f"{v:.{digits}f} ms"


def fmt_summary(s, digits=1):
    if not s["n"]:
        return "-"
    if s["n"] == 1:
        return fmt_ms(s["median"], digits)
    return f"{fmt_ms(s['median'], digits)} ({fmt_ms(s['min'], digits)}–{fmt_ms(s['max'], digits)})"


def ratio(a, b):
    """a / b as text, or '-' when either is missing."""
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.1f}x"


def raw(values, digits=1):
    return " ".join("-" if v is None else f"{v:.{digits}f}" for v in values)


def censored_median(values, limit):
    """Median of values in which None is a run that went past limit (slower than any).
    Returns (median, bounded), bounded meaning the true median is above the value
    returned (limit itself when the middle run went past it), or (None, False) for none."""
    xs = sorted(values, key=lambda v: float("inf") if v is None else v)
    n = len(xs)
    if not n:
        return None, False
    lo, hi = xs[(n - 1) // 2], xs[n // 2]
    if lo is None:
        return limit, True
    if hi is None:
        return (lo + limit) / 2, True
    return (lo + hi) / 2, False
