"""One simulated acquisition: the views, the counts, and the truth maps agree with the physics."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bonescan.regions import region
from bonescan.simulate.evolve import renumber
from bonescan.simulate.findings import Finding, Spot
from bonescan.simulate.patient import Acquisition, Patient
from bonescan.simulate.phantom import Body, build_body
from bonescan.simulate.physics import kinetics
from bonescan.simulate.sampling import BENIGN_KINDS, sample_benign, sample_malignant
from bonescan.simulate.scan import SimulatedScan, simulate_scan
from bonescan.simulate.scene import build_scene


@pytest.fixture(scope="module")
def normal_scan(patient_and_acquisition: tuple[Patient, Acquisition]) -> SimulatedScan:
    patient, acquisition = patient_and_acquisition
    return simulate_scan(patient, acquisition, (), np.random.default_rng(1))


@pytest.fixture(scope="module")
def placed_body(patient_and_acquisition: tuple[Patient, Acquisition]) -> Body:
    patient, acquisition = patient_and_acquisition
    return build_body(patient, acquisition.positioning, 100.0)


@pytest.fixture(scope="module")
def findings(patient_and_acquisition: tuple[Patient, Acquisition]) -> tuple[Finding, ...]:
    patient, acquisition = patient_and_acquisition
    body = build_body(patient, acquisition.positioning, 100.0)
    rng = np.random.default_rng(7)
    drawn = [f for f in sample_malignant(body, rng, "prostate")]
    drawn += sample_malignant(body, rng, "kidney")
    drawn += sample_benign(body, rng, len(BENIGN_KINDS))
    return renumber(drawn)


@pytest.fixture(scope="module")
def abnormal_scan(
    patient_and_acquisition: tuple[Patient, Acquisition], findings: tuple[Finding, ...]
) -> SimulatedScan:
    patient, acquisition = patient_and_acquisition
    return simulate_scan(patient, acquisition, findings, np.random.default_rng(2))


def _mean_counts(scan: SimulatedScan, view: int, name: str) -> float:
    mask = scan.labels[view] == region(name).label
    return float(scan.expected[view][mask].mean())


def test_total_counts_are_clinical(normal_scan: SimulatedScan) -> None:
    # this patient has a slow sweep (8.6 cm/min, 772 MBq): at the high end of the 0.6-5 M range
    totals = normal_scan.counts.sum(axis=(1, 2))
    assert np.all((totals > 0.5e6) & (totals < 6.0e6))


def test_each_view_shows_what_lies_near_it(normal_scan: SimulatedScan) -> None:
    for name in ("thoracic_spine", "lumbar_spine", "scapula_left", "scapula_right", "kidney_left"):
        assert _mean_counts(normal_scan, 1, name) > 1.3 * _mean_counts(normal_scan, 0, name), name
    for name in ("sternum", "facial_mandible", "bladder"):
        assert _mean_counts(normal_scan, 0, name) > 1.3 * _mean_counts(normal_scan, 1, name), name


def test_posterior_view_is_not_mirrored(normal_scan: SimulatedScan) -> None:
    columns = normal_scan.labels.shape[2]
    for view, left_on_right in ((0, True), (1, False)):
        cols = np.nonzero(normal_scan.labels[view] == region("humerus_proximal_left").label)[1]
        assert bool(cols.mean() > columns / 2) == left_on_right


def test_label_maps_cover_every_region(normal_scan: SimulatedScan) -> None:
    from bonescan.regions import REGIONS

    for view in range(2):
        present = set(np.unique(normal_scan.labels[view]).tolist())
        assert {entry.label for entry in REGIONS} <= present


def test_counts_follow_poisson_statistics(
    patient_and_acquisition: tuple[Patient, Acquisition], normal_scan: SimulatedScan
) -> None:
    patient, acquisition = patient_and_acquisition
    again = simulate_scan(patient, acquisition, (), np.random.default_rng(99))
    assert np.array_equal(again.expected, normal_scan.expected)
    a, b, expected = normal_scan.counts, again.counts, normal_scan.expected
    assert np.array_equal(a, np.rint(a)) and a.min() >= 0
    busy = expected > 30.0
    # two independent Poisson draws of the same mean: (a - b)^2 / (a + b) averages 1
    dispersion = float(np.mean((a[busy] - b[busy]) ** 2 / (a[busy] + b[busy])))
    assert dispersion == pytest.approx(1.0, abs=0.03)
    # and the counts are unbiased, with variance equal to the mean
    residual = (a[busy] - expected[busy]) / np.sqrt(expected[busy])
    assert abs(float(residual.mean())) < 0.01
    assert float(residual.var()) == pytest.approx(1.0, abs=0.03)
    total = float(expected.sum())
    assert float(a.sum()) == pytest.approx(total, rel=4.0 / np.sqrt(total))


def _region_footprint(scan: SimulatedScan, name: str) -> np.ndarray:
    footprint = np.zeros(scan.body.shape, dtype=bool)
    for source in scan.body.bones:
        raster = source.raster(scan.body.shape) if source.region == name else None
        if raster is not None:
            footprint[raster.slices] |= raster.chord > 0
    return footprint


def test_lesion_masks_sit_inside_their_bones(
    abnormal_scan: SimulatedScan, findings: tuple[Finding, ...]
) -> None:
    checked = 0
    for finding in findings:
        if not (finding.spots or finding.parts) or finding.soft:
            continue
        hosts = {abnormal_scan.body.bones[s.host].region for s in finding.spots}
        hosts |= {abnormal_scan.body.bones[p.host].region for p in finding.parts}
        footprint = np.zeros(abnormal_scan.body.shape, dtype=bool)
        for name in hosts:
            footprint |= _region_footprint(abnormal_scan, name)
        masks = abnormal_scan.finding_masks[finding.id]
        assert masks[0].any() and masks[1].any(), (finding.kind, finding.region)
        assert np.array_equal(masks[1], masks[0][:, ::-1])  # posterior grid: mirrored footprint
        assert not np.any(masks[0] & ~footprint), (finding.kind, finding.region)
        checked += 1
    assert checked >= 5


def test_lesion_masks_mostly_carry_their_region_label(
    abnormal_scan: SimulatedScan, findings: tuple[Finding, ...]
) -> None:
    # label maps show the bone that dominates each pixel, so a lesion in a bone hidden behind
    # another (acetabulum behind the femoral head, ribs behind the scapula, spine behind the
    # sternum) carries that bone's label there; the strict check is the footprint test above
    inside = total = 0
    for finding in findings:
        if not finding.spots or finding.soft or finding.metal:
            continue
        labels = {region(abnormal_scan.body.bones[s.host].region).label for s in finding.spots}
        for view in range(2):
            mask = abnormal_scan.finding_masks[finding.id][view]
            inside += int(np.isin(abnormal_scan.labels[view][mask], list(labels)).sum())
            total += int(mask.sum())
    assert inside / total > 0.7


def test_finding_map_gives_each_pixel_to_one_drawn_finding(
    abnormal_scan: SimulatedScan, findings: tuple[Finding, ...]
) -> None:
    ids = {finding.id for finding in findings}
    for view in range(2):
        present = set(np.unique(abnormal_scan.finding_map[view]).tolist()) - {0}
        assert present <= ids
        for finding_id in present:
            owned = abnormal_scan.finding_map[view] == finding_id
            assert not np.any(owned & ~abnormal_scan.finding_masks[finding_id][view])


@pytest.mark.parametrize(("primary", "hot"), [("prostate", True), ("myeloma", False)])
def test_hot_and_cold_findings_change_the_counts(
    patient_and_acquisition: tuple[Patient, Acquisition], primary: str, hot: bool
) -> None:
    patient, acquisition = patient_and_acquisition
    body = build_body(patient, acquisition.positioning, 100.0)
    drawn = renumber([f for f in sample_malignant(body, np.random.default_rng(11), primary) if not f.diffuse])
    scan = simulate_scan(patient, acquisition, drawn, np.random.default_rng(12))
    for finding in drawn:
        assert finding.hot is hot
        for view in range(2):
            mask = scan.finding_map[view] == finding.id  # where this finding dominates
            ratio = scan.expected[view][mask].sum() / scan.expected_without[view][mask].sum()
            assert (ratio > 1.0) if hot else (ratio < 1.0), finding.region


def test_a_prosthesis_leaves_a_cold_metal_core(
    patient_and_acquisition: tuple[Patient, Acquisition],
) -> None:
    patient, acquisition = patient_and_acquisition
    body = build_body(patient, acquisition.positioning, 100.0)
    rng = np.random.default_rng(3)
    while True:
        drawn = sample_benign(body, rng, 1)
        if drawn[0].kind == "prosthesis":
            break
    prosthesis = renumber(drawn)
    plain = simulate_scan(patient, acquisition, (), np.random.default_rng(4))
    scan = simulate_scan(patient, acquisition, prosthesis, np.random.default_rng(4))
    head = prosthesis[0].parts[0].host
    raster = scan.body.bones[head].raster(scan.body.shape)
    assert raster is not None
    core = np.zeros(scan.body.shape, dtype=bool)
    core[raster.slices] = raster.chord > 0.5 * raster.chord.max()
    assert scan.expected[0][core].mean() < 0.8 * plain.expected[0][core].mean()


def test_super_scan_raises_bone_and_dims_kidneys(
    patient_and_acquisition: tuple[Patient, Acquisition], normal_scan: SimulatedScan, placed_body: Body
) -> None:
    patient, acquisition = patient_and_acquisition
    rng = np.random.default_rng(5)
    while True:
        drawn = sample_malignant(placed_body, rng, "prostate")
        if drawn[0].kind == "super_scan":
            break
    scan = simulate_scan(patient, acquisition, renumber(drawn), np.random.default_rng(6))
    for name in ("lumbar_spine", "pelvis_left", "ribs_right"):
        # the tracer: bone concentration over soft-tissue concentration rises by at least 1.5
        parts = [i for i, bone in enumerate(scan.body.bones) if bone.region == name]
        boost = [scan.scene.bone_concentration[i] / normal_scan.scene.bone_concentration[i] for i in parts]
        soft = scan.scene.soft_concentration / normal_scan.scene.soft_concentration
        assert min(boost) / soft > 1.5, name
        # the image: large bones show it nearly in full; thin ribs lose some of it to blur and
        # scatter (their pixels and the soft tissue's mix)
        ratio = _mean_counts(scan, 1, name) / _mean_counts(scan, 1, "soft_tissue")
        normal = _mean_counts(normal_scan, 1, name) / _mean_counts(normal_scan, 1, "soft_tissue")
        assert ratio > (1.25 if name.startswith("ribs") else 1.5) * normal, name
    assert scan.kinetics.kidneys < 0.2 * normal_scan.kinetics.kidneys


def test_lesions_gain_contrast_with_uptake_time(
    patient_and_acquisition: tuple[Patient, Acquisition], findings: tuple[Finding, ...]
) -> None:
    patient, acquisition = patient_and_acquisition
    hot = tuple(f for f in findings if f.kind == "metastasis")[:3]
    contrasts = []
    for hours in (2.0, 4.0, 6.0):
        scan = simulate_scan(patient, replace(acquisition, uptake_h=hours), hot, np.random.default_rng(0))
        mask = scan.finding_map[1] > 0
        contrasts.append(float(scan.expected[1][mask].sum() / scan.expected_without[1][mask].sum()))
    assert contrasts == sorted(contrasts)


def test_a_catheter_bag_beside_the_legs_is_bright_and_seen_alike_from_both_sides(
    patient_and_acquisition: tuple[Patient, Acquisition], normal_scan: SimulatedScan, placed_body: Body
) -> None:
    from bonescan.simulate.catheter import DRAINED_HOURS, catheter_bag

    patient, acquisition = patient_and_acquisition
    rng = np.random.default_rng(8)
    while "hanging" not in (bag := catheter_bag(placed_body, rng)).cause:
        pass
    assert bag.soft[0].outside and not bag.malignant
    drained = replace(acquisition, hours_since_void=DRAINED_HOURS)
    scan = simulate_scan(patient, drained, renumber([bag]), np.random.default_rng(9))
    assert scan.kinetics.bladder < 0.1 * normal_scan.kinetics.bladder
    spine = _mean_counts(normal_scan, 1, "lumbar_spine")
    peaks = [float(scan.expected[view][scan.finding_map[view] == 1].max()) for view in range(2)]
    assert min(peaks) > 10 * spine  # urine: far brighter than bone
    assert 0.7 < peaks[0] / peaks[1] < 1.4  # no tissue between the bag and either camera


def _lesion_in(body: Body, part: str, region_name: str, kind: str) -> Finding:
    """A lesion of radius 16 mm at the centre of ``part`` that keeps 10% of the uptake there."""
    host = next(i for i, b in enumerate(body.bones) if b.name == part and b.region == region_name)
    return Finding(1, kind, "test lesion", True, region_name, spots=(Spot(host, 0.0, 0.0, 16.0, 0.1),))


@pytest.mark.parametrize("kind", ["myeloma", "lytic_metastasis"])
def test_a_lytic_lesion_takes_every_bone_part_within_its_sphere(
    patient_and_acquisition: tuple[Patient, Acquisition], kind: str
) -> None:
    """A lesion in the femoral head also takes the acetabulum and the neck it overlaps (since version 9).

    Until version 8 only the host part lost uptake, so the bone overlapping it in the planar view kept
    its counts and the defect read faint. The other wall of the skull, 15 cm behind the front of the
    vault, is not reached.
    """
    patient, acquisition = patient_and_acquisition
    body = build_body(patient, acquisition.positioning, 100.0)
    kin = kinetics(patient, acquisition)
    hip = _lesion_in(body, "femoral_head", "femur_proximal_left", kind)
    scene = build_scene(body, kin, (hip,), patient, acquisition.uptake_h)
    assert {"femur_proximal_left", "pelvis_left"} <= set(scene.finding_volume_ml[1])
    skull = _lesion_in(body, "cranium_front", "skull", kind)
    scene = build_scene(body, kin, (skull,), patient, acquisition.uptake_h)
    back = next(b for b in body.bones if b.name == "cranium_back")
    depths = {e.depth_ant for e in scene.emitters if e.finding == 1}
    assert back.depth_ant not in depths


def test_a_hot_lesion_stays_in_its_host_part(patient_and_acquisition: tuple[Patient, Acquisition]) -> None:
    """The same sphere as a metastasis (uptake 3x) adds uptake to the femoral head alone."""
    patient, acquisition = patient_and_acquisition
    body = build_body(patient, acquisition.positioning, 100.0)
    lesion = _lesion_in(body, "femoral_head", "femur_proximal_left", "metastasis")
    lesion = replace(lesion, spots=(replace(lesion.spots[0], ratio=3.0),))
    scene = build_scene(body, kinetics(patient, acquisition), (lesion,), patient, acquisition.uptake_h)
    assert set(scene.finding_volume_ml[1]) == {"femur_proximal_left"}
    assert len([e for e in scene.emitters if e.finding == 1]) == 1
