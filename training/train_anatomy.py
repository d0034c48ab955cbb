"""Train the skeleton-labelling U-Net on simulated bone scans and export it into the package.

Usage (from the repository root, with torch installed: ``pip install torch==2.13.0 onnx``)::

    bonescan simulate --out .cache/anatomy/cohort-1001 --cohort 800 --seed 1001
    bonescan simulate --out .cache/anatomy/cohort-1002 --cohort 800 --seed 1002
    python training/train_anatomy.py generate --out .cache/anatomy/arrays .cache/anatomy/cohort-100?
    python training/train_anatomy.py train --data .cache/anatomy/arrays --out src/bonescan/anatomy/weights

Cohort seeds 1001-1099 are for training only; the evaluation uses seeds the training never saw.
Augmentation makes the network lean on anatomy rather than on the simulator's look: random mirror
(with left/right labels swapped), scale ±12%, broader or narrower builds, shifts, small rotations,
extra soft tissue, blur, gamma, count level, and 8-bit quantisation like a research export.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage
from torch.nn import functional as F  # noqa: N812

sys.path.insert(0, str(Path(__file__).resolve().parent))

from unet import UNet

from bonescan import load_study
from bonescan.anatomy.grid import (
    CANONICAL_SHAPE,
    CANONICAL_SPACING_MM,
    normalise,
    resample,
    to_canonical,
)
from bonescan.regions import REGIONS, Laterality, region

logger = logging.getLogger("train_anatomy")

CLASSES = len(REGIONS)


def _swap_table() -> np.ndarray:
    """Return the label permutation that swaps every left region with its right twin."""
    table = np.arange(CLASSES)
    for entry in REGIONS:
        if entry.laterality is Laterality.LEFT:
            twin = region(entry.name[: -len("_left")] + "_right")
            table[entry.label], table[twin.label] = twin.label, entry.label
    return table


# --- data -------------------------------------------------------------------------------------------


def _canonical_labels(labels: np.ndarray, spacing: tuple[float, float]) -> dict[str, np.ndarray]:
    """Resample a label map to the canonical grid, keeping the partial volume at region edges.

    A canonical pixel of 4.52 mm covers several pixels of the view; at an edge they belong to two
    regions. Returned: ``labels`` (the label with the largest share), ``second`` (the next) and
    ``share`` (the first one's part of the two, 0-255). Training on these soft targets lets the
    network's scores carry sub-pixel edges, which matter for thin bones (the cervical spine is about
    four canonical pixels wide).
    """
    one_hot = np.stack([(labels == k).astype(np.float32) for k in range(CLASSES)])
    canonical = (CANONICAL_SPACING_MM, CANONICAL_SPACING_MM)
    shares = resample(one_hot, CANONICAL_SHAPE, canonical, spacing)
    order = np.argsort(shares, axis=0)
    first, second = order[-1], order[-2]
    top = np.take_along_axis(shares, first[None], 0)[0]
    runner_up = np.take_along_axis(shares, second[None], 0)[0]
    share = np.divide(top, top + runner_up, out=np.ones_like(top), where=(top + runner_up) > 0)
    second = np.where(runner_up > 0, second, first)
    return {
        "labels": first.astype(np.uint8),
        "second": second.astype(np.uint8),
        "share": np.round(share * 255).astype(np.uint8),
    }


def _convert(acquisition: Path) -> dict[str, np.ndarray]:
    """Read one simulated acquisition through bonescan's own reader, with its truth label maps."""
    study = load_study(acquisition)
    maps = np.load(acquisition.with_name(acquisition.name.replace(".dcm", ".maps.npz")))
    counts, targets, areas = [], [], []
    for view in study.views:
        truth = view.orientation.apply(maps[f"labels_{view.name}"])  # stored grid -> upright
        counts.append(to_canonical(view.counts, view.pixel_spacing_mm))
        targets.append(_canonical_labels(truth, view.pixel_spacing_mm))
        areas.append(np.bincount(truth.ravel(), minlength=CLASSES) * np.prod(view.pixel_spacing_mm))
    stacked = {key: np.stack([target[key] for target in targets]) for key in targets[0]}
    return {"counts": np.stack(counts), **stacked, "areas_mm2": np.stack(areas)}


def generate(out: Path, cohorts: list[Path], workers: int) -> None:
    """Convert simulated cohorts (``bonescan simulate``) to canonical-grid training arrays."""
    out.mkdir(parents=True, exist_ok=True)
    scans = sorted(scan for cohort in cohorts for scan in cohort.glob("case*/baseline.dcm"))
    started = time.time()
    with ProcessPoolExecutor(workers) as pool:
        for scan, arrays in zip(scans, pool.map(_convert, scans, chunksize=8), strict=True):
            name = f"{scan.parent.parent.name}-{scan.parent.name}.npz"
            np.savez_compressed(out / name, **arrays)
    logger.info("converted %d scans in %.0f s", len(scans), time.time() - started)


# --- augmentation -----------------------------------------------------------------------------------


def _more_soft_tissue(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Add a smooth soft-tissue layer inside a widened body outline, and a slow random field."""
    outline = ndimage.gaussian_filter(image, 3.0) > 0.02 * np.percentile(image, 99.5)
    outline = ndimage.binary_dilation(outline, iterations=int(rng.integers(0, 6)))
    layer = ndimage.gaussian_filter(outline.astype(np.float32), 4.0)
    field = ndimage.gaussian_filter(rng.normal(size=image.shape).astype(np.float32), 25.0)
    field = 1.0 + 0.5 * field / max(float(np.abs(field).max()), 1e-6)
    inside = image[outline]
    level = float(np.median(inside)) if inside.size else 0.0
    extra = rng.uniform(0.2, 1.5) * level * layer * field
    return image + rng.poisson(np.maximum(extra, 0)).astype(np.float32)


_DEEP_SPINE = (region("lumbar_spine").label, region("sacrum").label)


def _deeper_spine(image: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thin the counts over the lumbar spine and sacrum, as a thick abdomen does in the anterior view."""
    mask = ndimage.gaussian_filter(np.isin(labels, _DEEP_SPINE).astype(np.float32), 2.0)
    keep = 1.0 - rng.uniform(0.3, 0.75) * mask / max(float(mask.max()), 1e-6)
    return rng.binomial(np.round(image).astype(np.int64), np.clip(keep, 0.0, 1.0)).astype(np.float32)


def _augment(
    counts: np.ndarray, targets: np.ndarray, posterior: bool, rng: np.random.Generator, swap: np.ndarray
):
    """Return (network input (2, H, W), targets (3, H, W)) after random, anatomy-preserving changes.

    ``targets`` holds, per pixel, the first label, the second label and the first one's share (0-255).
    """
    image = counts.astype(np.float32)
    if not posterior and rng.random() < 0.3:  # a spine deeper behind the abdomen than simulated
        image = _deeper_spine(image, targets[0], rng)
    if rng.random() < 0.5:  # count level: thin the counts (Poisson thinning keeps the statistics)
        image = rng.binomial(np.round(image).astype(np.int64), rng.uniform(0.3, 1.0)).astype(np.float32)
    if rng.random() < 0.7:  # more soft tissue than the simulator draws (real patients carry more)
        image = _more_soft_tissue(image, rng)
    if rng.random() < 0.4:  # a blurrier camera
        image = ndimage.gaussian_filter(image, rng.uniform(0.3, 1.2))
    x = normalise(image)
    if rng.random() < 0.3:
        x = np.clip(x, 0, rng.uniform(0.6, 1.5))
    x = x ** rng.uniform(0.75, 1.35)
    if rng.random() < 0.25:  # an 8-bit export
        x = np.round(x / max(x.max(), 1e-6) * 255) / 255 * x.max()
    tensor = torch.from_numpy(np.stack([x, np.full_like(x, float(posterior))]))[None]
    target = torch.from_numpy(targets.astype(np.float32))[None]
    scale = rng.uniform(0.88, 1.12)
    widen = rng.uniform(0.85, 1.2)  # broader or narrower builds than the simulator's
    angle = math.radians(rng.uniform(-4, 4))
    shift = (rng.uniform(-0.06, 0.06), rng.uniform(-0.08, 0.08))
    theta = torch.tensor(
        # rotation in pixel space; normalised x spans 128 pixels and y 512, hence the factors 4 and 1/4
        [
            [math.cos(angle) / (scale * widen), -4.0 * math.sin(angle) / scale, shift[1]],
            [0.25 * math.sin(angle) / scale, math.cos(angle) / scale, shift[0]],
        ],
        dtype=torch.float32,
    )[None]
    grid = F.affine_grid(theta, list(tensor.shape), align_corners=False)
    tensor = F.grid_sample(tensor, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    target = F.grid_sample(target, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    target[:, 2] = torch.where(target[:, 0] + target[:, 1] == 0, 255.0, target[:, 2])  # padding
    tensor[:, 1] = float(posterior)
    out_targets = target[0].long().numpy()
    out_image = tensor[0].numpy()
    if rng.random() < 0.5:  # a mirrored patient: left and right labels swap
        out_image = out_image[:, :, ::-1].copy()
        out_targets = out_targets[:, :, ::-1].copy()
        out_targets[:2] = swap[out_targets[:2]]
    return out_image, out_targets


# --- training ---------------------------------------------------------------------------------------


def _soft_targets(targets: torch.Tensor) -> torch.Tensor:
    """Return per-class target shares (N, C, H, W) from (first, second, share) maps (N, 3, H, W)."""
    share = targets[:, 2].float() / 255.0
    first = F.one_hot(targets[:, 0], CLASSES).permute(0, 3, 1, 2).float()
    second = F.one_hot(targets[:, 1], CLASSES).permute(0, 3, 1, 2).float()
    return first * share[:, None] + second * (1.0 - share[:, None])


def _loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Soft cross-entropy against the partial-volume shares, plus a soft Dice loss over classes."""
    soft = _soft_targets(targets)
    cross_entropy = -(soft * logits.log_softmax(dim=1)).sum(dim=1).mean()
    probabilities = logits.softmax(dim=1)
    dims = (0, 2, 3)
    intersection = (probabilities * soft).sum(dims)
    total = probabilities.sum(dims) + soft.sum(dims)
    present = soft.sum(dims) > 0
    dice = (2 * intersection + 1) / (total + 1)
    return cross_entropy + 1 - dice[present].mean()


def _load(files: list[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return counts (N, 2, H, W), targets (N, 2, 3, H, W) uint8 and region areas of the files."""
    counts, targets, areas = [], [], []
    for file in files:
        with np.load(file) as data:
            counts.append(data["counts"])
            first = data["labels"]
            second = data.get("second", first)
            share = data["share"] if "share" in data else np.full_like(first, 255)
            targets.append(np.stack([first, second, share], axis=1))
            areas.append(data["areas_mm2"])
    return np.stack(counts), np.stack(targets), np.stack(areas)


def _mean_areas(areas: np.ndarray) -> dict[str, float]:
    means = {}
    for view_index, view in enumerate(("anterior", "posterior")):
        for entry in REGIONS:
            means[f"{view}/{entry.name}"] = float(areas[:, view_index, entry.label].mean())
    return means


_CROP_ROWS = 256


def _batch(counts, labels, rng, swap, size):
    """Return one augmented training batch of random crops (rows) of random views, with targets."""
    images, targets = [], []
    for _ in range(size):
        case, view = int(rng.integers(len(counts))), int(rng.integers(2))
        image, target = _augment(counts[case][view], labels[case][view], view == 1, rng, swap)
        top = int(rng.integers(0, CANONICAL_SHAPE[0] - _CROP_ROWS + 1))
        images.append(image[:, top : top + _CROP_ROWS])
        targets.append(target[:, top : top + _CROP_ROWS])
    return torch.from_numpy(np.stack(images)), torch.from_numpy(np.stack(targets))


def train(
    data: Path,
    out: Path,
    steps: int,
    batch: int,
    width: int,
    seed: int,
    init: Path | None = None,
    learning_rate: float = 3e-3,
) -> None:
    """Train, report validation Dice on the last 10% of the scans, export ONNX and a description.

    With ``init``, start from the network weights of that checkpoint (fine-tuning on new data) with a
    fresh optimiser and learning-rate schedule.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    files = sorted(data.glob("*.npz"))
    split = max(1, len(files) // 10)
    train_files, valid_files = files[:-split], files[-split:]
    counts, labels, areas = _load(train_files)
    valid_counts, valid_targets, _ = _load(valid_files)
    valid_labels = valid_targets[:, :, 0]
    swap = _swap_table()
    model = UNet(CLASSES, width=width)
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=learning_rate, total_steps=steps, pct_start=0.1
    )
    checkpoint = out / "checkpoint.pt"
    first = 0
    if init is not None and not checkpoint.exists():
        model.load_state_dict(torch.load(init, weights_only=False)["model"])
        logger.info("starting from the weights of %s", init)
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        first, rng = state["step"], state["rng"]
        logger.info("resumed at step %d", first)
    started, running = time.time(), 0.0
    model.train()
    for step in range(first, steps):
        x, y = _batch(counts, labels, rng, swap, batch)
        logits = model(x)
        loss = _loss(logits, y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        running += float(loss)
        if (step + 1) % 100 == 0:
            logger.info("step %d loss %.4f (%.0f s)", step + 1, running / 100, time.time() - started)
            running = 0.0
        if (step + 1) % 500 == 0:
            out.mkdir(parents=True, exist_ok=True)
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimiser": optimiser.state_dict(),
                    "schedule": schedule.state_dict(),
                    "step": step + 1,
                    "rng": rng,
                },
                checkpoint,
            )
    dice = _validate(model, valid_counts, valid_labels)
    bones = [
        value
        for name, value in dice.items()
        if not np.isnan(value) and name not in {"background", "soft_tissue"}
    ]
    logger.info("validation mean Dice on the canonical grid: %.3f", float(np.mean(bones)))
    _export(
        model,
        out,
        {
            "name": "skeleton_unet",
            "classes": CLASSES,
            "canonical_shape": list(CANONICAL_SHAPE),
            "canonical_spacing_mm": CANONICAL_SPACING_MM,
            "width": width,
            "steps": steps,
            "batch": batch,
            "crop_rows": _CROP_ROWS,
            "training_cohorts": sorted({p.stem.split("-case")[0] for p in train_files}),
            "training_case_count": len(train_files),
            "initialised_from": str(init) if init is not None else None,
            "targets": "partial-volume soft targets (first and second label per canonical pixel, share)",
            "validation_cases": [p.stem for p in valid_files],
            "validation_dice_canonical": dice,
            "mean_area_mm2": _mean_areas(areas),
        },
    )


def _validate(model: UNet, counts: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    model.eval()
    inter = np.zeros(CLASSES)
    total = np.zeros(CLASSES)
    with torch.no_grad():
        for case in range(len(counts)):
            x = np.stack(
                [np.stack([normalise(counts[case][v]), np.full(CANONICAL_SHAPE, float(v))]) for v in range(2)]
            )
            predicted = model(torch.from_numpy(x.astype(np.float32))).argmax(dim=1).numpy()
            for k in range(CLASSES):
                p, t = predicted == k, labels[case] == k
                inter[k] += (p & t).sum()
                total[k] += p.sum() + t.sum()
    return {
        entry.name: float(2 * inter[entry.label] / total[entry.label]) if total[entry.label] else float("nan")
        for entry in REGIONS
    }


def _export(model: UNet, out: Path, description: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    example = torch.zeros(1, 2, *CANONICAL_SHAPE)
    torch.onnx.export(
        model,
        example,
        out / "skeleton_unet.onnx",
        input_names=["image"],
        output_names=["scores"],
        dynamic_axes={"image": {0: "views"}, "scores": {0: "views"}},
        opset_version=17,
        dynamo=False,
    )
    (out / "skeleton_unet.json").write_text(json.dumps(description, indent=1))
    logger.info("exported to %s", out)


def export_checkpoint(data: Path, checkpoint: Path, out: Path, width: int) -> None:
    """Export a training checkpoint (to look at a network before training ends)."""
    state = torch.load(checkpoint, weights_only=False)
    model = UNet(CLASSES, width=width)
    model.load_state_dict(state["model"])
    areas = []
    for file in sorted(data.glob("*.npz")):
        with np.load(file) as arrays:
            areas.append(arrays["areas_mm2"])
    _export(
        model,
        out,
        {
            "name": f"skeleton_unet (checkpoint at step {state['step']})",
            "classes": CLASSES,
            "canonical_shape": list(CANONICAL_SHAPE),
            "canonical_spacing_mm": CANONICAL_SPACING_MM,
            "width": width,
            "steps": state["step"],
            "mean_area_mm2": _mean_areas(np.stack(areas)),
        },
    )


def main() -> None:
    """Command line of the training script."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("generate")
    make.add_argument("--out", type=Path, required=True)
    make.add_argument("cohorts", type=Path, nargs="+", help="folders written by bonescan simulate")
    make.add_argument("--workers", type=int, default=2)
    fit = commands.add_parser("train")
    fit.add_argument("--data", type=Path, required=True)
    fit.add_argument("--out", type=Path, required=True)
    fit.add_argument("--steps", type=int, default=4500)
    fit.add_argument("--batch", type=int, default=8)
    fit.add_argument("--width", type=int, default=12)
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--init", type=Path, help="checkpoint whose weights to start from (fine-tuning)")
    fit.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the one-cycle schedule")
    snapshot = commands.add_parser("export")
    snapshot.add_argument("--data", type=Path, required=True)
    snapshot.add_argument("--checkpoint", type=Path, required=True)
    snapshot.add_argument("--out", type=Path, required=True)
    snapshot.add_argument("--width", type=int, default=12)
    arguments = parser.parse_args()
    if arguments.command == "export":
        export_checkpoint(arguments.data, arguments.checkpoint, arguments.out, arguments.width)
        return
    if arguments.command == "generate":
        generate(arguments.out, arguments.cohorts, arguments.workers)
    else:
        train(
            arguments.data,
            arguments.out,
            arguments.steps,
            arguments.batch,
            arguments.width,
            arguments.seed,
            arguments.init,
            arguments.lr,
        )


if __name__ == "__main__":
    main()
