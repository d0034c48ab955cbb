"""Train the finding classifier and the patient model on simulated cohorts; export them into the package.

Usage (from the repository root)::

    bonescan simulate --out .cache/v2/train-3001 --cohort 400 --seed 3001
    bonescan simulate --out .cache/v2/train-3002 --cohort 250 --seed 3002
    python training/train_findings.py extract --out .cache/v2/train-3001.npz .cache/v2/train-3001
    python training/train_findings.py fit --data .cache/v2/train-3001.npz  # one or more files
    python training/train_findings.py patient .cache/v2/train-3002
    python training/train_findings.py super-scan .cache/v2/train-3002 .cache/v3/train-3007
    python training/train_findings.py view-scale .cache/v8/train-3605 .cache/v8/train-3606
    python training/train_findings.py recalibrate .cache/v9/train-3610 .cache/v9/train-3611
    python training/train_findings.py second-reader-weights .cache/v9/train-3610 .cache/v9/train-3611

Seeds 3001-3099 are for training only. ``extract`` runs bonescan's own anatomy and detection on every
baseline scan and labels each candidate finding with the class of the truth finding it shows
(``normal`` when it shows none), keeping the patch around it; candidates in the bladder or a kidney
and unmatched candidates of super-scan patients are left out. ``fit`` trains a small CNN on the
patch around each candidate joined with its features (``training/patchnet.py``; torch, Adam, cosine
schedule, left-right flips), exports it to ONNX and writes ``findings.onnx`` and ``findings.json`` in
``src/bonescan/classify/weights``. ``patient`` runs the full analysis with that model and fits the
patient-level model, the BSI calibration and the super-scan rule (``weights/patient.json``).
``super-scan`` refits the super-scan rule alone on more cohorts (super scans are rare: about 1.6% of
simulated patients), keeping the rest of the shipped patient model. ``view-scale`` sets the factor
that reads a study of the posterior view alone on the super-scan rule's two-view scale, keeping the
rest. ``recalibrate`` refits the probability's slope and offset on the shipped score (Platt);
``second-reader-weights`` fits them again beside the weights of how much the second reader lowered
three patient features.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from patchnet import Ensemble, PatchNet
from truth_match import matching_truth, truth_class

from bonescan import load_study
from bonescan.anatomy import segment
from bonescan.assessment.analyze import judged_findings
from bonescan.assessment.patient import (
    KIDNEY_FLOOR,
    PATIENT_FEATURES,
    SIGN_MARGIN,
    PatientModel,
    axial_over_long_bones,
    kidney_over_bone,
    load_patient_model,
    patient_features,
    super_scan_score,
)
from bonescan.classify.features import FEATURE_NAMES, feature_matrix
from bonescan.classify.model import NORMAL, load_finding_model
from bonescan.detect import detect
from bonescan.detect.patches import FINDING_PATCH_CHANNELS, PATCH_PX, finding_patch
from bonescan.quantify.bsi import bone_scan_index
from bonescan.regions import bone_regions, mass_fraction
from bonescan.study import Study

logger = logging.getLogger("train_findings")
SUPER_SCAN_MARGIN = 0.01
_LIKELY_COUNT = PATIENT_FEATURES.index("log_likely_count")
REPOSITORY = Path(__file__).resolve().parent.parent
WEIGHTS = REPOSITORY / "src" / "bonescan" / "classify" / "weights"


def _size(match: dict[str, Any] | None) -> list[float]:
    if match is None or not match.get("radius_mm"):
        return [0.0, 0.0, 0.0]
    contrast = max((view.get("contrast", 0.0) for view in match["views"].values()), default=0.0)
    return [float(match["radius_mm"][0]), float(match["uptake_ratio"][0]), float(contrast)]


def _one_view(study: Study, case: Path) -> Study:
    """Keep one view of ``study``: the anterior of even-numbered cases, the posterior of odd ones."""
    kept = study.views[int(case.name.removeprefix("case")) % 2 if len(study.views) > 1 else 0]
    return dataclasses.replace(study, views=(kept,))


def _case(job: tuple[Path, str]) -> tuple[np.ndarray, list[str], str, list[list[float]], np.ndarray]:
    case, reading = job
    study = load_study(case / "baseline.dcm")
    if reading == "one-view":
        study = _one_view(study, case)
    truth = json.loads((case / "baseline.truth.json").read_text())
    findings = detect(study, segment(study)).findings
    features = feature_matrix(findings, len(study.views))
    super_scan = any(entry["kind"] == "super_scan" for entry in truth["findings"])
    keep, classes, sizes = [], [], []
    for index, finding in enumerate(findings):
        if finding.main.organ is not None:
            continue
        match = matching_truth(finding, truth, study)
        if match is None and super_scan:
            continue
        keep.append(index)
        classes.append(NORMAL if match is None else str(truth_class(match["kind"])))
        sizes.append(_size(match))
    patches = (
        np.stack([finding_patch(findings[i]) for i in keep])
        if keep
        else np.zeros((0, FINDING_PATCH_CHANNELS, PATCH_PX, PATCH_PX), np.float32)
    )
    return features[keep], classes, case.name, sizes, patches.astype(np.float16)


def extract(out: Path, cohorts: list[Path], workers: int, reading: str = "two-view") -> None:
    """Write the feature matrix and classes of every candidate of ``cohorts`` to ``out``.

    ``reading``: ``two-view`` reads each baseline study as it is; ``one-view`` reads one of its views
    alone (see :func:`_one_view`), as a study exported with one view would be read; ``all`` both.
    """
    found = sorted(
        case for cohort in cohorts for case in cohort.glob("case*") if (case / "baseline.dcm").exists()
    )
    readings = ("two-view", "one-view") if reading == "all" else (reading,)
    cases = [(case, kind) for kind in readings for case in found]
    rows, classes, names, sizes, patches = [], [], [], [], []
    with ProcessPoolExecutor(workers) as pool:
        for features, labels, name, size, patch in pool.map(_case, cases, chunksize=4):
            patches.append(patch)
            rows.append(features)
            classes += labels
            names += [name] * len(labels)
            sizes += size
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        features=np.concatenate(rows),
        classes=np.array(classes),
        cases=np.array(names),
        truth_size=np.array(sizes).reshape(-1, 3),
        patches=np.concatenate(patches),
    )
    logger.info(
        "%d candidates from %d scans: %s",
        len(classes),
        len(cases),
        dict(zip(*np.unique(classes, return_counts=True), strict=False)),
    )


def _train_patchnet(
    x: np.ndarray,
    patches: np.ndarray,
    y: np.ndarray,
    classes: int,
    epochs: int,
    seed: int,
    weights: np.ndarray | None = None,
) -> torch.nn.Module:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = PatchNet(x.shape[1], classes, channels=patches.shape[1])
    optimiser = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=epochs)
    features, targets, images = (
        torch.tensor(x, dtype=torch.float32),
        torch.tensor(y),
        torch.from_numpy(patches),
    )
    weight = torch.ones(len(y)) if weights is None else torch.tensor(weights, dtype=torch.float32)
    for epoch in range(epochs):
        net.train()
        order = rng.permutation(len(y))
        for start in range(0, len(order), 256):
            batch = order[start : start + 256]
            image = images[batch].float()
            if epoch % 2:  # left-right flip: the mirrored channel stays the other side
                image = torch.flip(image, [3])
            each = torch.nn.functional.cross_entropy(
                net(image, features[batch]), targets[batch], reduction="none"
            )
            loss = (each * weight[batch]).sum() / weight[batch].sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        schedule.step()
        logger.info("epoch %d loss %.4f", epoch + 1, float(loss.detach()))
    return net.eval()


def _export_onnx(net: torch.nn.Module, features: int, channels: int, path: Path) -> None:
    example = (torch.zeros(1, channels, PATCH_PX, PATCH_PX), torch.zeros(1, features))
    torch.onnx.export(
        net,
        example,
        str(path),
        input_names=["patch", "features"],
        output_names=["scores"],
        dynamic_axes={"patch": {0: "n"}, "features": {0: "n"}, "scores": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )


def _load_candidates(data: list[Path], keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Join the arrays ``keys`` of one or more files written by :func:`extract`, in the order given."""
    loaded = [np.load(path) for path in data]
    return {key: np.concatenate([part[key] for part in loaded]) for key in keys}


def fit(
    data: list[Path],
    epochs: int,
    seed: int,
    channels: int = 3,
    members: int = 1,
    second_reader: bool = False,
    normal_share: float = 1.0,
) -> None:
    """Fit the finding classifier on the candidates of ``data`` and write it into the package.

    ``data``: one or more files written by :func:`extract` (each cohort can be extracted on its own).

    ``channels``: 3 for the main spot's patch alone, 6 to add the other view's (``extract`` keeps
    both; on development seed 5102 the six-channel model was no better, so 3 is shipped).
    ``members``: more than 1 trains that many nets with seeds ``seed``, ``seed + 1``, ... and ships
    their mean probabilities as one network (a calmer classifier: one net's call on a borderline
    finding can turn with its training seed).
    ``second_reader``: write the network as the shipped classifier's second reader
    (``second_reader.onnx`` and ``.json``, named in ``findings.json``; it can only lower a malignant
    probability, :mod:`bonescan.classify.model`) instead of replacing the classifier. A replaced
    classifier keeps the second reader that the shipped ``findings.json`` names.
    ``normal_share``: train on this random share of the normal candidates (about 19 in 20 of all),
    each weighted by its inverse, so that the expected loss is that of all of them at a fraction of
    the time.
    """
    import onnx  # noqa: F401  (the export needs it: fail now, not after the training)

    loaded = _load_candidates(data, ("features", "classes", "patches"))
    x, names = loaded["features"], loaded["classes"]
    patches = loaded["patches"][:, :channels]  # float16: cast per batch
    classes = tuple([NORMAL, *sorted(set(names.tolist()) - {NORMAL})])
    y = np.array([classes.index(name) for name in names])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    kept = (y != 0) | (np.random.default_rng(seed).random(len(y)) < normal_share)
    weights = np.where(y[kept] == 0, 1.0 / normal_share, 1.0)
    logger.info("training on %d of %d candidates", int(kept.sum()), len(y))
    nets = [
        _train_patchnet(
            (x[kept] - mean) / scale, patches[kept], y[kept], len(classes), epochs, seed + k, weights
        )
        for k in range(members)
    ]
    net = nets[0] if members == 1 else Ensemble(nets).eval()
    name = "second_reader" if second_reader else "findings"
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    _export_onnx(net, x.shape[1], patches.shape[1], WEIGHTS / f"{name}.onnx")
    description = {
        "features": list(FEATURE_NAMES),
        "classes": list(classes),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "onnx": f"{name}.onnx",
        "patch_px": PATCH_PX,
        "patch_channels": int(patches.shape[1]),
        "description": {
            "name": "findings-patchnet-2",
            "trained_on": " ".join(str(path) for path in data),
            "candidates": len(y),
            "class_counts": {name: int((y == index).sum()) for index, name in enumerate(classes)},
            "epochs": epochs,
            "seed": seed,
            "members": members,
            "normal_share": normal_share,
        },
    }
    shipped = WEIGHTS / "findings.json"
    first = json.loads(shipped.read_text()) if shipped.is_file() else {}
    if second_reader:
        first["second_reader"] = f"{name}.json"
        shipped.write_text(json.dumps(first, indent=1) + "\n")
    elif "second_reader" in first:  # a retrained first reader keeps the second reader beside it
        description["second_reader"] = first["second_reader"]
        logger.info("the classifier keeps its second reader, %s", first["second_reader"])
    (WEIGHTS / f"{name}.json").write_text(json.dumps(description, indent=1) + "\n")
    model = load_finding_model(WEIGHTS / f"{name}.json")
    predicted = np.concatenate(
        [
            model.first_reading(x[start : start + 4096], patches[start : start + 4096].astype(np.float32))
            for start in range(0, len(y), 4096)
        ]
    )
    accuracy = float((predicted.argmax(axis=1) == y).mean())
    logger.info("training accuracy %.3f over %d candidates", accuracy, len(y))


def _patient_case(case: Path) -> dict[str, Any]:
    study = load_study(case / "baseline.dcm")
    truth = json.loads((case / "baseline.truth.json").read_text())
    anatomy, findings, judged, first = judged_findings(study)
    raw = bone_scan_index(judged, anatomy).raw_percent
    first_raw = raw if first is judged else bone_scan_index(first, anatomy).raw_percent
    references = list(findings.references.values())
    return {
        "case": case.name,
        "features": patient_features(first, first_raw, references).tolist(),  # as the model reads
        "reported_features": patient_features(judged, raw, references).tolist(),
        "axial_ratio": axial_over_long_bones(references),
        "axial_by_view": {r.view.value: axial_over_long_bones([r]) for r in references},
        "kidney_ratio": kidney_over_bone(references),
        "raw_bsi": raw,  # calibrated as reported
        "true_bsi": float(truth["bsi"]["value"]),
        "metastatic": truth["patient"]["label"] == "metastatic",
        "super_scan": any(entry["kind"] == "super_scan" for entry in truth["findings"]),
    }


def _fit_logistic(x: np.ndarray, y: np.ndarray, penalty: float | np.ndarray) -> tuple[np.ndarray, float]:
    """Return the weights and bias of an L2-penalised logistic regression (``penalty`` per column or one)."""
    from scipy import optimize

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        score = x @ theta[:-1] + theta[-1]
        p = 1.0 / (1.0 + np.exp(-score))
        eps = 1e-9
        value = (
            -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))
            + 0.5 * (penalty * theta[:-1] ** 2).sum()
        )
        grad = np.concatenate([x.T @ (p - y) / len(y) + penalty * theta[:-1], [np.mean(p - y)]])
        return float(value), grad

    result = optimize.minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B")
    return result.x[:-1], float(result.x[-1])


def _super_scan_scores(axial: np.ndarray, kidneys: np.ndarray, weight: float) -> np.ndarray:
    """Return each patient's :func:`~bonescan.assessment.patient.super_scan_score`."""
    return np.array([super_scan_score(a, k, weight) for a, k in zip(axial, kidneys, strict=True)])


def _kidney_weight(axial: np.ndarray, kidneys: np.ndarray, superscan: np.ndarray) -> float:
    """Return the kidney weight ``w`` that best separates the super scans from the others.

    Over ``w`` in 0-3 (steps of 0.01), the score ``log(axial) - w * log(kidneys)`` with the widest gap
    between the lowest super scan and the highest other patient, per unit length of the direction
    ``(1, -w)`` in the plane of the two log signs (a hard-margin linear separation).
    """
    candidates = np.round(np.arange(0.0, 3.0001, 0.01), 2)
    gaps = []
    for weight in candidates:
        score = _super_scan_scores(axial, kidneys, float(weight))
        gaps.append((score[superscan].min() - score[~superscan].max()) / math.hypot(1.0, weight))
    return float(candidates[int(np.argmax(gaps))])


def _super_scan_rule(rows: list[dict[str, Any]]) -> tuple[dict[str, Any], np.ndarray]:
    """Fit the super-scan rule's fields of ``PatientModel`` on patient ``rows``; return them and the calls.

    The kidney weight: :func:`_kidney_weight`. A super-scan call moves the BSI by about 30 points, so
    no training patient without a super scan may reach the threshold: it lies midway between the
    highest of their scores and the lowest super scan's (just above the former when the two overlap),
    and a study with more likely findings than any training super scan must clear it by that gap.
    Each sign's own bound is the weakest sign of any training super scan, less ``SIGN_MARGIN``. The
    probability floor is the share of flagged training patients that are metastatic (one
    pseudo-count each way); the involvement, the super scans' mean true BSI over the axial mass.
    """
    superscan = np.array([row["super_scan"] for row in rows])
    metastatic = np.array([row["metastatic"] for row in rows], dtype=float)
    measured = [row["kidney_ratio"] for row in rows if row["kidney_ratio"] is not None]
    typical = float(np.median(measured))
    kidneys = np.array([typical if row["kidney_ratio"] is None else row["kidney_ratio"] for row in rows])
    kidneys = np.maximum(kidneys, KIDNEY_FLOOR)
    axial = np.maximum(np.array([row["axial_ratio"] for row in rows]), 1e-3)
    weight = _kidney_weight(axial, kidneys, superscan)
    score = _super_scan_scores(axial, kidneys, weight)
    others, lowest = float(score[~superscan].max()), float(score[superscan].min())
    logger.info("super-scan score: highest of the others %.3f, lowest super scan %.3f", others, lowest)
    likely = np.array([round(float(np.expm1(row["features"][_LIKELY_COUNT]))) for row in rows])
    true = np.array([row["true_bsi"] for row in rows])
    axial_mass = sum(mass_fraction(entry.name) for entry in bone_regions() if entry.axial)
    rule: dict[str, Any] = {
        "super_scan_threshold": (others + lowest) / 2 if lowest > others else others + SUPER_SCAN_MARGIN,
        "super_scan_many_margin": max(lowest - others, SUPER_SCAN_MARGIN),
        "super_scan_kidney_weight": weight,
        "typical_kidney_to_bone": typical,
        "super_scan_max_likely": int(likely[superscan].max()),
        "super_scan_min_axial": float(axial[superscan].min()) * (1.0 - SIGN_MARGIN),
        "super_scan_max_kidney": float(kidneys[superscan].max()) * (1.0 + SIGN_MARGIN),
        "super_scan_involvement": min(float(np.mean(true[superscan]) / (100.0 * axial_mass)), 1.0),
    }
    candidate = dataclasses.replace(load_patient_model(), **rule)  # the shipped model with this rule
    flagged = np.array(
        [candidate.calls_super_scan(a, k, count) for a, k, count in zip(axial, kidneys, likely, strict=True)]
    )
    rule["super_scan_probability"] = float((metastatic[flagged].sum() + 1.0) / (flagged.sum() + 2.0))
    logger.info(
        "super-scan rule %s; %d flagged, %d metastatic", rule, flagged.sum(), metastatic[flagged].sum()
    )
    return rule, flagged


def _patient_rows(cohorts: list[Path], workers: int, rows_file: Path | None) -> list[dict[str, Any]]:
    """Return the rows of an earlier run (``rows_file``), or analyse every baseline of ``cohorts``."""
    if rows_file is not None:
        rows: list[dict[str, Any]] = json.loads(rows_file.read_text())
        return rows
    cases = sorted(
        case for cohort in cohorts for case in cohort.glob("case*") if (case / "baseline.dcm").exists()
    )
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_patient_case, cases, chunksize=4))


def _write_patient_model(model: PatientModel, rows: list[dict[str, Any]], rows_name: str) -> None:
    (WEIGHTS / "patient.json").write_text(json.dumps(model.to_json(), indent=1) + "\n")
    cache = REPOSITORY / ".cache" / "findings"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / rows_name).write_text(json.dumps(rows))


def _rule_description(rows: list[dict[str, Any]], flagged: np.ndarray) -> dict[str, int]:
    return {
        "super_scans": sum(bool(row["super_scan"]) for row in rows),
        "flagged_as_super_scan": int(flagged.sum()),
        "flagged_metastatic": sum(
            bool(row["metastatic"]) for row, hit in zip(rows, flagged, strict=True) if hit
        ),
    }


def fit_patient(
    cohorts: list[Path],
    workers: int,
    penalty: float,
    rows_file: Path | None = None,
    keep_super_scan_rule: bool = False,
) -> None:
    """Fit the patient model, the BSI calibration and the super-scan rule on ``cohorts``.

    With ``rows_file`` (the ``patient-rows.json`` an earlier run wrote for the same cohorts), the
    analysis is not run again. With ``keep_super_scan_rule`` the shipped rule stays as it is (it was
    fitted on more super scans by ``super-scan``; its signs do not depend on the finding classifier,
    only its count of likely findings does). The shipped scale for studies of the posterior view
    alone is kept (``view-scale`` sets it).
    """
    rows = _patient_rows(cohorts, workers, rows_file)
    x = np.array([row["features"] for row in rows])
    y = np.array([row["metastatic"] for row in rows], dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    weights, bias = _fit_logistic((x - mean) / scale, y, penalty)
    raw = np.array([row["raw_bsi"] for row in rows])
    true = np.array([row["true_bsi"] for row in rows])
    focal = ~np.array([row["super_scan"] for row in rows])
    calibration = float((raw[focal] * true[focal]).sum() / max((raw[focal] ** 2).sum(), 1e-9))
    shipped = load_patient_model()
    rule, flagged = _super_scan_rule(rows)
    described: dict[str, Any] = _rule_description(rows, flagged)
    if keep_super_scan_rule:
        rule = {key: getattr(shipped, key) for key in rule}
        described = {"super_scan_rule": shipped.description.get("super_scan_rule")}
    described["posterior_axial_scale"] = shipped.description.get("posterior_axial_scale")
    model = PatientModel(
        mean=mean,
        scale=scale,
        weights=weights,
        bias=bias,
        bsi_calibration=calibration,
        posterior_axial_scale=shipped.posterior_axial_scale,  # ``view-scale`` sets it
        **rule,
        description={
            "name": "patient-logistic-1",
            "trained_on": [str(c) for c in cohorts],
            "patients": len(rows),
            "metastatic": int(y.sum()),
            "l2_penalty": penalty,
            **described,
        },
    )
    logger.info("BSI calibration %.3f", calibration)
    _write_patient_model(model, rows, "patient-rows.json")


def _folded(
    model: PatientModel,
    slope: float,
    offset: float,
    second_reader_weights: np.ndarray,
    description: dict[str, Any],
) -> PatientModel:
    """Return ``model`` whose score becomes ``slope * score + offset``, with these drop weights."""
    return dataclasses.replace(
        model,
        weights=model.weights * slope,
        bias=float(model.bias * slope + offset),
        second_reader_weights=second_reader_weights,
        description=description,
    )


def recalibrate_patient(cohorts: list[Path], workers: int, rows_file: Path | None = None) -> None:
    """Recalibrate the shipped patient model on ``cohorts``: ``sigmoid(a * score + b)`` (Platt).

    The score is the shipped logistic score (with the second reader's drops when the rows have the
    reported features); ``a`` and ``b`` are fitted without a penalty on the patients without a super
    scan (theirs has its floor) and folded into the weights, the drops' weights and the bias, so the
    ranking of patients does not change. With ``rows_file`` (the ``recalibration-rows.json`` of an
    earlier run on the same cohorts, or any patient rows with ``features``, ``metastatic`` and
    ``super_scan``) the analysis is not run again.
    """
    rows = [row for row in _patient_rows(cohorts, workers, rows_file) if not row["super_scan"]]
    shipped = load_patient_model()
    features = np.array([row["features"] for row in rows])
    reported = np.array([row.get("reported_features", row["features"]) for row in rows])
    y = np.array([row["metastatic"] for row in rows], dtype=float)
    (slope,), offset = _fit_logistic(shipped.score(features, reported)[:, None], y, 0.0)
    description = dict(shipped.description)
    description["recalibrated"] = {
        "trained_on": [str(c) for c in cohorts],
        "patients_without_super_scan": len(rows),
        "metastatic": int(y.sum()),
        "slope": float(slope),
        "offset": float(offset),
    }
    logger.info("patient score recalibrated: %.3f * score %+.3f", slope, offset)
    replaced = _folded(shipped, slope, offset, shipped.second_reader_weights * slope, description)
    _write_patient_model(replaced, rows, "recalibration-rows.json")


def fit_second_reader_weights(
    cohorts: list[Path], workers: int, penalty: float, rows_file: Path | None = None
) -> None:
    """Fit the weights of the second reader's drops, with the shipped score recalibrated beside them.

    ``logit = a * score + b + w . drops`` (:meth:`PatientModel.second_reader_drops`), fitted on the
    patients without a super scan of ``cohorts`` (theirs has its floor): ``a`` and ``b`` without a
    penalty, ``w`` with L2 ``penalty``. ``a`` and ``b`` are folded into the weights and the bias, so
    a study the second reader leaves alone keeps the shipped ranking. With ``rows_file`` (the
    ``second-reader-rows.json`` of an earlier run on the same cohorts) the analysis is not run again.
    """
    rows = [row for row in _patient_rows(cohorts, workers, rows_file) if not row["super_scan"]]
    shipped = load_patient_model()
    features = np.array([row["features"] for row in rows])
    reported = np.array([row["reported_features"] for row in rows])
    y = np.array([row["metastatic"] for row in rows], dtype=float)
    drops = shipped.second_reader_drops(features, reported)
    columns = np.column_stack([shipped.score(features), drops])
    penalties = np.array([0.0] + [penalty] * drops.shape[1])
    coefficients, offset = _fit_logistic(columns, y, penalties)
    slope, weights = float(coefficients[0]), coefficients[1:]
    description = dict(shipped.description)
    description["second_reader_weights"] = {
        "trained_on": [str(c) for c in cohorts],
        "patients_without_super_scan": len(rows),
        "metastatic": int(y.sum()),
        "lowered_by_second_reader": int((drops.sum(axis=1) > 0).sum()),
        "l2_penalty": penalty,
        "slope": slope,
        "offset": float(offset),
    }
    logger.info("patient score: %.3f * score %+.3f + %s . drops", slope, offset, np.round(weights, 3))
    replaced = _folded(shipped, slope, offset, weights, description)
    _write_patient_model(replaced, rows, "second-reader-rows.json")


def refit_super_scan_rule(cohorts: list[Path], workers: int, rows_file: Path | None = None) -> None:
    """Refit only the super-scan rule of the shipped patient model on ``cohorts`` (more super scans).

    The logistic model and the BSI calibration are kept; the description keeps the logistic model's
    training and records the rule's under ``super_scan_rule``. With ``rows_file`` (the
    ``super-scan-rows.json`` an earlier run wrote for the same cohorts), the analysis is not run again.
    """
    rows = _patient_rows(cohorts, workers, rows_file)
    rule, flagged = _super_scan_rule(rows)
    shipped = load_patient_model()
    rule_keys = {"super_scans", "flagged_as_super_scan", "flagged_metastatic", "super_scan_rule"}
    description = {key: value for key, value in shipped.description.items() if key not in rule_keys}
    description["super_scan_rule"] = {
        "trained_on": [str(c) for c in cohorts],
        "patients": len(rows),
        **_rule_description(rows, flagged),
    }
    replaced = dataclasses.replace(shipped, **rule, description=description)
    _write_patient_model(replaced, rows, "super-scan-rows.json")


def fit_posterior_axial_scale(cohorts: list[Path], workers: int, rows_file: Path | None = None) -> None:
    """Set the shipped patient model's ``posterior_axial_scale``, keeping everything else.

    The scale is the median axial sign of the two-view studies of patients without a super scan over
    the median of their posterior view's own sign: it reads a study of the posterior view alone on
    the scale the super-scan rule was fitted on. With ``rows_file`` (the ``view-scale-rows.json`` of
    an earlier run on the same cohorts) the analysis is not run again.
    """
    rows = [row for row in _patient_rows(cohorts, workers, rows_file) if not row["super_scan"]]
    two_views = float(np.median([row["axial_ratio"] for row in rows]))
    posterior = float(np.median([row["axial_by_view"]["posterior"] for row in rows]))
    shipped = load_patient_model()
    description = dict(shipped.description)
    description["posterior_axial_scale"] = {
        "trained_on": [str(c) for c in cohorts],
        "patients_without_super_scan": len(rows),
        "median_two_view_axial": two_views,
        "median_posterior_axial": posterior,
    }
    scale = two_views / posterior
    logger.info("posterior axial scale %.3f (%.3f / %.3f)", scale, two_views, posterior)
    replaced = dataclasses.replace(shipped, posterior_axial_scale=scale, description=description)
    _write_patient_model(replaced, rows, "view-scale-rows.json")


def main(argv: list[str] | None = None) -> None:
    """Run one stage of the training."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    stages = parser.add_subparsers(dest="stage", required=True)
    first = stages.add_parser("extract")
    first.add_argument("--out", type=Path, required=True)
    first.add_argument("--workers", type=int, default=2)
    first.add_argument("--reading", choices=("two-view", "one-view", "all"), default="two-view")
    first.add_argument("cohorts", type=Path, nargs="+")
    second = stages.add_parser("fit")
    second.add_argument("--data", type=Path, nargs="+", required=True)
    second.add_argument("--epochs", type=int, default=16)
    second.add_argument("--seed", type=int, default=0)
    second.add_argument("--channels", type=int, choices=(3, FINDING_PATCH_CHANNELS), default=3)
    second.add_argument("--members", type=int, default=1, help="nets averaged (seeds seed, seed+1, ...)")
    second.add_argument("--normal-share", type=float, default=1.0, help="share of normal candidates used")
    second.add_argument(
        "--second-reader",
        action="store_true",
        help="ship as the classifier's second reader, not in its place",
    )
    third = stages.add_parser("patient")
    third.add_argument("--workers", type=int, default=2)
    third.add_argument("--penalty", type=float, default=1e-2)
    third.add_argument("--rows", type=Path, help="reuse the patient-rows.json of an earlier run")
    third.add_argument("--keep-super-scan-rule", action="store_true", help="keep the shipped rule")
    third.add_argument("cohorts", type=Path, nargs="+")
    fourth = stages.add_parser("super-scan")
    fourth.add_argument("--workers", type=int, default=2)
    fourth.add_argument("--rows", type=Path, help="reuse the super-scan-rows.json of an earlier run")
    fourth.add_argument("cohorts", type=Path, nargs="+")
    sixth = stages.add_parser("recalibrate")
    sixth.add_argument("--workers", type=int, default=2)
    sixth.add_argument("--rows", type=Path, help="reuse patient rows of an earlier run")
    sixth.add_argument("cohorts", type=Path, nargs="+")
    seventh = stages.add_parser("second-reader-weights")
    seventh.add_argument("--workers", type=int, default=2)
    seventh.add_argument("--penalty", type=float, default=1e-2)
    seventh.add_argument("--rows", type=Path, help="reuse the second-reader-rows.json of an earlier run")
    seventh.add_argument("cohorts", type=Path, nargs="+")
    fifth = stages.add_parser("view-scale")
    fifth.add_argument("--workers", type=int, default=2)
    fifth.add_argument("--rows", type=Path, help="reuse the view-scale-rows.json of an earlier run")
    fifth.add_argument("cohorts", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.stage == "extract":
        extract(args.out, args.cohorts, args.workers, args.reading)
    elif args.stage == "fit":
        fit(
            args.data,
            args.epochs,
            args.seed,
            args.channels,
            args.members,
            args.second_reader,
            args.normal_share,
        )
    elif args.stage == "patient":
        fit_patient(args.cohorts, args.workers, args.penalty, args.rows, args.keep_super_scan_rule)
    elif args.stage == "recalibrate":
        recalibrate_patient(args.cohorts, args.workers, args.rows)
    elif args.stage == "second-reader-weights":
        fit_second_reader_weights(args.cohorts, args.workers, args.penalty, args.rows)
    elif args.stage == "super-scan":
        refit_super_scan_rule(args.cohorts, args.workers, args.rows)
    else:
        fit_posterior_axial_scale(args.cohorts, args.workers, args.rows)


if __name__ == "__main__":
    main()
