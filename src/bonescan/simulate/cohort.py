"""Cohorts: a reproducible mix of normal, benign-only and metastatic patients, with repeats and follow-ups.

Mix
---
``normal`` 40%, ``benign`` 30%, ``metastatic`` 30% of the cohort (rounded by largest remainder, then
shuffled with the seed). Normal patients have no finding (age-related joint uptake is normal anatomy);
benign patients have 1-3 kinds of benign look-alike; metastatic patients have malignant bone findings
and, 40% of them, a benign look-alike too. Primary cancer of a metastatic patient: men prostate 60%,
lung 20%, myeloma 8%, kidney 7%, bladder 5%; women breast 65%, lung 20%, myeloma 7%, thyroid 5%,
kidney 3%. 70% of the other patients are scanned for staging of a primary cancer too. Whatever their
label, 4% of the patients (``CohortConfig.catheters``) have a urinary catheter with its collection bag
(:mod:`bonescan.simulate.catheter`) at the baseline and its repeats.

Randomness
----------
Every draw comes from a generator seeded with ``(seed, case number, stream, acquisition)``, so a case
does not depend on the size of the cohort and the same seed always gives the same bytes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bonescan._files import output_folder
from bonescan.errors import InputError, OutputError
from bonescan.simulate.catheter import CATHETER_SHARE, DRAINED_HOURS, catheter_bag
from bonescan.simulate.evolve import COURSES, evolve, renumber
from bonescan.simulate.findings import Finding
from bonescan.simulate.output import CaseInfo, write_acquisition
from bonescan.simulate.patient import Acquisition, sample_acquisition, sample_patient
from bonescan.simulate.phantom import Body, build_body
from bonescan.simulate.sampling import (
    joint_degeneration_share,
    sample_benign,
    sample_joint_degeneration,
    sample_malignant,
    sample_spondylosis,
    spondylosis_share,
)
from bonescan.simulate.scan import simulate_scan

__all__ = ["MIX", "CohortConfig", "plan_labels", "simulate_case", "write_cohort"]

logger = logging.getLogger(__name__)

MIX: dict[str, float] = {"normal": 0.4, "benign": 0.3, "metastatic": 0.3}
_PRIMARY = {
    "M": (("prostate", 0.60), ("lung", 0.20), ("myeloma", 0.08), ("kidney", 0.07), ("bladder", 0.05)),
    "F": (("breast", 0.65), ("lung", 0.20), ("myeloma", 0.07), ("thyroid", 0.05), ("kidney", 0.03)),
}
_STREAMS = {
    "patient": 1,
    "findings": 2,
    "acquisition": 3,
    "noise": 4,
    "evolve": 5,
    "catheter": 6,
    "spondylosis": 7,
    "joints": 8,
}


@dataclass(frozen=True)
class CohortConfig:
    """What to simulate.

    Attributes
    ----------
    cases : int
        Number of patients (1-100000).
    seed : int
        Seed of everything.
    repeats : int
        Extra acquisitions of each baseline scan, same patient and day, independent noise.
    followups : int
        Follow-up scans of each patient, 8-16 weeks apart.
    catheters : float
        Share of the patients with a urinary catheter's collection bag (0-1).
    """

    cases: int
    seed: int
    repeats: int = 0
    followups: int = 0
    catheters: float = CATHETER_SHARE

    def check(self) -> None:
        """Raise :class:`InputError` when a setting is out of range."""
        if not 1 <= self.cases <= 100_000:
            raise InputError(None, f"--cohort must be 1..100000, got {self.cases}")
        if not 0 <= self.seed < 2**63:
            raise InputError(None, f"--seed must be 0..2^63-1, got {self.seed}")
        if not 0 <= self.repeats <= 10 or not 0 <= self.followups <= 10:
            raise InputError(None, "--repeats and --followups must be 0..10")
        if not 0.0 <= self.catheters <= 1.0:
            raise InputError(None, f"--catheters must be 0..1, got {self.catheters}")


def _rng(seed: int, case: int, stream: str, index: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, case, _STREAMS[stream], index])


def plan_labels(cases: int, seed: int) -> list[str]:
    """Return the patient label of each case: the documented mix, shuffled with ``seed``.

    Parameters
    ----------
    cases : int
        Cohort size.
    seed : int
        Cohort seed.

    Returns
    -------
    list of str
        ``"normal"``, ``"benign"`` or ``"metastatic"`` for case 1, 2, ...; the counts are the
        :data:`MIX` shares of ``cases`` rounded by largest remainder.
    """
    shares = {label: cases * share for label, share in MIX.items()}
    counts = {label: int(value) for label, value in shares.items()}
    order = sorted(MIX, key=lambda label: shares[label] - counts[label], reverse=True)
    for label in order[: cases - sum(counts.values())]:
        counts[label] += 1
    labels = [label for label in MIX for _ in range(counts[label])]
    np.random.default_rng([seed, 0]).shuffle(labels)
    return labels


def _primary(rng: np.random.Generator, sex: str, label: str) -> str | None:
    names = [name for name, _ in _PRIMARY[sex]]
    weights = [weight for _, weight in _PRIMARY[sex]]
    if label != "metastatic":
        if rng.random() >= 0.7:
            return None
        names, weights = names[:2], weights[:2]
    p = np.array(weights) / sum(weights)
    return str(rng.choice(names, p=p))


@dataclass(frozen=True)
class _Case:
    info: CaseInfo
    findings: tuple[Finding, ...]
    baseline: Acquisition
    body: Body


def _draw_case(seed: int, number: int, label: str, catheters: float = CATHETER_SHARE) -> _Case:
    rng = _rng(seed, number, "patient")
    sex = "M" if rng.random() < 0.55 else "F"
    patient = sample_patient(rng, sex)
    primary = _primary(rng, sex, label)
    tracer = "Tc-99m MDP" if rng.random() < 0.7 else "Tc-99m HDP"
    course = str(rng.choice(COURSES, p=[0.35, 0.3, 0.2, 0.15])) if label == "metastatic" else "stable"
    day = datetime(2021, 1, 4) + timedelta(days=int(rng.integers(0, 900)))
    baseline = sample_acquisition(_rng(seed, number, "acquisition"), patient, baseline_day=day)
    body = build_body(patient, baseline.positioning, 100.0)
    findings = _draw_findings(_rng(seed, number, "findings"), body, label, primary)
    spine = _rng(seed, number, "spondylosis")
    if label != "normal" and spine.random() < spondylosis_share(patient.age_years):
        findings = renumber([*findings, *_background_spondylosis(body, spine, findings)])
    joints = _rng(seed, number, "joints")
    if label != "normal" and joints.random() < joint_degeneration_share(patient.age_years):
        findings = renumber([*findings, *_background_joints(body, joints, findings)])
    catheter = _rng(seed, number, "catheter")
    if catheter.random() < catheters:
        findings = renumber([*findings, catheter_bag(body, catheter)])
        baseline = replace(baseline, hours_since_void=DRAINED_HOURS)
    info = CaseInfo(f"case{number:05d}", seed, patient, label, primary, tracer, course)
    return _Case(info, findings, baseline, body)


def _background_spondylosis(
    body: Body, rng: np.random.Generator, findings: tuple[Finding, ...]
) -> list[Finding]:
    """Draw age-related spondylosis besides a patient's other findings, at levels they do not use."""

    def level(finding: Finding) -> str:
        return finding.cause.rsplit(" ", 1)[1].split("/")[0]

    taken = {level(f) for f in findings if f.kind == "degenerative"}
    drawn = [f for f in sample_spondylosis(body, rng) if level(f) not in taken]
    return _as_one_group(drawn, findings)


def _background_joints(body: Body, rng: np.random.Generator, findings: tuple[Finding, ...]) -> list[Finding]:
    """Draw age-related degenerative joint uptake besides a patient's other findings, on free joints."""
    taken = {f.region for f in findings if f.kind == "degenerative"}
    drawn = [f for f in sample_joint_degeneration(body, rng) if f.region not in taken]
    return _as_one_group(drawn, findings)


def _as_one_group(drawn: list[Finding], findings: tuple[Finding, ...]) -> list[Finding]:
    """Put the findings ``drawn`` together into a group after those of ``findings`` (when several)."""
    group = max((f.group or 0 for f in findings), default=0) + 1
    return [replace(f, group=group) for f in drawn] if len(drawn) > 1 else drawn


def _draw_findings(
    rng: np.random.Generator, body: Body, label: str, primary: str | None
) -> tuple[Finding, ...]:
    found: list[Finding] = []
    if label == "metastatic":
        found.extend(sample_malignant(body, rng, primary or "prostate"))
        if rng.random() < 0.4:
            found.extend(sample_benign(body, rng, 1))
    elif label == "benign":
        found.extend(sample_benign(body, rng, int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))))
    return renumber(found)


def _acquisitions(
    case: _Case, config: CohortConfig, number: int
) -> Iterator[tuple[str, Acquisition, tuple[Finding, ...]]]:
    yield "baseline", case.baseline, case.findings
    for k in range(1, config.repeats + 1):
        yield f"repeat{k}", replace(case.baseline, kind="repeat", index=k, noise_key=k), case.findings
    findings, day = case.findings, 0
    for k in range(1, config.followups + 1):
        rng = _rng(config.seed, number, "evolve", k)
        day += int(rng.integers(56, 113))
        findings = evolve(
            findings, course=case.info.course, step=k, primary=case.info.primary, body=case.body, rng=rng
        )
        acquisition = sample_acquisition(
            _rng(config.seed, number, "acquisition", k),
            case.info.patient,
            kind="followup",
            index=k,
            days_from_baseline=day,
            baseline_day=case.baseline.injection_time,
        )
        yield f"followup{k}", acquisition, findings


def simulate_case(folder: Path, config: CohortConfig, number: int, label: str) -> dict[str, Any]:
    """Simulate and write every acquisition of case ``number`` into ``folder``.

    Parameters
    ----------
    folder : Path
        Existing folder of the case.
    config : CohortConfig
        Seed, repeats and follow-ups.
    number : int
        Case number (1-based); with the seed it decides every draw of the case.
    label : str
        Patient label from :func:`plan_labels`.

    Returns
    -------
    dict
        The case's summary for ``cohort.json``.
    """
    case = _draw_case(config.seed, number, label, config.catheters)
    written = []
    for stem, acquisition, findings in _acquisitions(case, config, number):
        kind_code = ("baseline", "repeat", "followup").index(acquisition.kind)
        noise = _rng(config.seed, number, "noise", 1000 * kind_code + acquisition.index)
        drawn = tuple(f for f in findings if f.id != 0)
        scan = simulate_scan(case.info.patient, acquisition, drawn, noise)
        truth = write_acquisition(folder, stem, case.info, acquisition, scan, findings)
        written.append({"stem": stem, "bsi": truth["bsi"]["value"], "counts": truth["image"]["counts"]})
    return {
        "case_id": case.info.case_id,
        "label": label,
        "primary_cancer": case.info.primary,
        "sex": case.info.patient.sex,
        "course": case.info.course,
        "findings": sorted({f.kind for f in case.findings}),
        "acquisitions": written,
    }


def _check_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(f"{out}: exists and is not an empty folder; choose a new folder")
    if not out.parent.is_dir():
        raise OutputError(f"{out}: the folder {out.parent} does not exist; create it first")


def write_cohort(out: str | Path, config: CohortConfig) -> Path:
    """Simulate a cohort into the new folder ``out`` (written beside it, then renamed into place).

    Parameters
    ----------
    out : str or Path
        Folder to create (or an existing empty one); its parent must exist.
    config : CohortConfig
        What to simulate.

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    InputError
        When the configuration is out of range.
    OutputError
        When ``out`` exists and is not empty, or its parent folder does not exist.
    """
    config.check()
    target = Path(out)
    _check_target(target)
    with output_folder(target) as temporary:
        labels = plan_labels(config.cases, config.seed)
        summaries = []
        for number, label in enumerate(labels, start=1):
            folder = temporary / f"case{number:05d}"
            folder.mkdir()
            summaries.append(simulate_case(folder, config, number, label))
            logger.info("simulated case %d/%d (%s)", number, config.cases, label)
        manifest = {
            "schema": "bonescan-simulate-cohort/1",
            "seed": config.seed,
            "cases": config.cases,
            "repeats": config.repeats,
            "followups": config.followups,
            "catheters": config.catheters,
            "mix": MIX,
            "counts": {label: labels.count(label) for label in MIX},
            "case_list": summaries,
        }
        (temporary / "cohort.json").write_text(
            json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
    return target
