"""How a claim is decided from per-seed numbers (pure functions; no file access).

Verdicts:
- ``holds``: the numbers show what the paper says, by the claim's rule;
- ``fails``: they show the opposite (for an order: the reverse order, beyond the spread);
- ``inconclusive``: the rule cannot decide (an order within the seeds' spread, or fewer than 2 seeds on a side);
- ``not testable here``: the data set, network or runs the claim needs are not here, or the runs it compares did not
  learn at this scale; the reason is given.

An order between two settings counts only when the gap between their seed means exceeds the sum of their seed
standard deviations (sample std, ddof=1), so it needs at least 2 seeds on each side.
"""
import dataclasses
import math

HOLDS, FAILS, INCONCLUSIVE, UNTESTABLE = "holds", "fails", "inconclusive", "not testable here"
VERDICTS = (HOLDS, FAILS, INCONCLUSIVE, UNTESTABLE)


@dataclasses.dataclass(frozen=True)
class Verdict:
    verdict: str
    numbers: str  # the numbers behind the verdict, and the reason when it is not decided

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {VERDICTS}")


def mean_sd(values):
    """(mean, sample std with ddof=1 or None for one value) of a non-empty list of numbers."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("mean_sd needs at least one value")
    m = sum(values) / len(values)
    if len(values) < 2:
        return m, None
    return m, math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def describe(name, values, digits=2):
    """'name 1.23 ± 0.04 (n=3)', or 'name 1.23 (1 seed)'."""
    m, sd = mean_sd(values)
    if sd is None:
        return f"{name} {m:.{digits}f} (1 seed)"
    return f"{name} {m:.{digits}f} ± {sd:.{digits}f} (n={len(values)})"


def order(better, worse, higher_is_better=True, names=("A", "B"), digits=2):
    """The claim "``better`` beats ``worse``" on per-seed values: holds when the gap in the claimed direction exceeds
    the sum of the two seed stds, fails when the reverse gap does, else inconclusive (also with < 2 seeds a side)."""
    text = f"{describe(names[0], better, digits)} vs {describe(names[1], worse, digits)}"
    if len(better) < 2 or len(worse) < 2:
        return Verdict(INCONCLUSIVE, f"{text}; an order needs ≥ 2 seeds a side")
    (ma, sa), (mb, sb) = mean_sd(better), mean_sd(worse)
    gap = (ma - mb) if higher_is_better else (mb - ma)
    spread = sa + sb
    text += f"; gap {gap:+.{digits}f} in the claimed direction, spread {spread:.{digits}f}"
    if gap > spread:
        return Verdict(HOLDS, text)
    if -gap > spread:
        return Verdict(FAILS, text)
    return Verdict(INCONCLUSIVE, text + " (within the spread)")


def at_least_as_good(model, reference, higher_is_better=True, names=("A", "B"), digits=2):
    """The claim "``model`` is comparable to, or better than, ``reference``": fails only when ``model`` is worse by
    more than the sum of the seed stds; holds otherwise (needs ≥ 2 seeds a side, else inconclusive)."""
    text = f"{describe(names[0], model, digits)} vs {describe(names[1], reference, digits)}"
    if len(model) < 2 or len(reference) < 2:
        return Verdict(INCONCLUSIVE, f"{text}; a comparison needs ≥ 2 seeds a side")
    (ma, sa), (mb, sb) = mean_sd(model), mean_sd(reference)
    gap = (ma - mb) if higher_is_better else (mb - ma)
    text += f"; gap {gap:+.{digits}f} (positive: {names[0]} better), spread {sa + sb:.{digits}f}"
    return Verdict(FAILS if -gap > sa + sb else HOLDS, text)


def majority(flags):
    """True when more than half of the per-seed flags are true."""
    flags = list(flags)
    if not flags:
        raise ValueError("majority needs at least one seed")
    return sum(bool(f) for f in flags) * 2 > len(flags)


def learn_pattern(expected, observed):
    """The claim "these settings learn, those collapse": ``expected`` {name: True (learns) / False (collapses)},
    ``observed`` {name: per-seed learns() flags}. Each setting is judged by the majority of its seeds; holds when every
    setting matches, fails otherwise."""
    missing = sorted(set(expected) - set(observed))
    if missing:
        raise KeyError(f"no runs for {missing}")
    parts, ok = [], True
    for name, want in expected.items():
        flags = observed[name]
        got = majority(flags)
        ok &= got == want
        parts.append(f"{name}: {'learns' if got else 'collapses'} ({sum(map(bool, flags))}/{len(flags)} seeds learn;"
                     f" paper: {'learns' if want else 'collapses'})")
    return Verdict(HOLDS if ok else FAILS, "; ".join(parts))
