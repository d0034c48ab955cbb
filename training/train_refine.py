r"""Train the bone edge refiner (``bonescan.anatomy.refine``) on simulated scans and export it.

Usage (from the repository root, with torch installed: ``pip install torch==2.13.0 onnx``); the
shipped refiner was trained with::

    python training/train_refine.py generate --out .cache/v3/refine-1011L.npz --limit 250 \\
        .cache/v2/cohort-1011
    python training/train_refine.py generate --out .cache/v3/refine-1012L.npz --limit 250 \\
        .cache/v2/cohort-1012
    python training/train_refine.py train --out src/bonescan/anatomy/weights --width 16 --seed 2 \\
        --steps 6000 --focus cervical_spine --focus-share 0.4 \\
        .cache/v3/refine-1011L.npz .cache/v3/refine-1012L.npz

``generate`` runs the shipped skeleton network on each baseline scan (the first ``--limit`` of each
cohort) and keeps, per view, the counts, the network's probability of bone (in the view's grid,
exactly as ``segment`` computes it), the body outline and the truth (bone or not, from the
simulator's label map, and the label map itself). ``train`` fits the refiner on 128×128 crops, most
of them centred where the network is unsure or, with ``--focus``, on the regions named, and exports
ONNX. Augmentation aims at real scans: fewer counts (Poisson
thinning), a blurrier camera, gamma, 8-bit quantisation, a shifted network probability (the network
is less sure on real scans), mirroring. Cohort seeds 1001-1099 are for training only.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage
from torch import nn

from bonescan import load_study
from bonescan._body import body_mask
from bonescan._masks import bounding_box
from bonescan.anatomy.grid import canonical_reference, normalise
from bonescan.anatomy.network import load_network, network_inputs
from bonescan.anatomy.refine import BONE_LABELS, REFINE_SPACING_MM, refine_inputs
from bonescan.anatomy.segment import view_probabilities
from bonescan.regions import region

logger = logging.getLogger("train_refine")

CROP = 128
DILATIONS = (1, 1, 2, 4, 8, 1)


class Refiner(nn.Module):
    """Six 3×3 convolutions (dilations 1-8) and a 1×1 head; the output corrects the input logit."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 2
        for dilation in DILATIONS:
            layers += [
                nn.Conv2d(channels, width, 3, padding=dilation, dilation=dilation),
                nn.ReLU(inplace=True),
            ]
            channels = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(width, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return bone scores (N, 1, H, W) for inputs (N, 2, H, W): intensity and logit of P(bone)."""
        return x[:, 1:2] + self.head(self.body(x))


class MirrorConv(nn.Module):
    """A convolution that commutes with mirroring the image left to right.

    Its channels come in pairs (the first half, then their partners): mirroring the input mirrors
    each channel and swaps every channel with its partner. A layer learns the kernels from both
    halves to the first half; the second half uses the same kernels mirrored and the halves swapped.
    With ``paired_in=False`` the input channels are plain (a mirror only mirrors them: the first
    layer's intensity and logit), and each kernel's mirror makes the partner channel.
    """

    def __init__(self, channels_in: int, pairs_out: int, dilation: int = 1, paired_in: bool = True) -> None:
        super().__init__()
        self.paired_in, self.dilation = paired_in, dilation
        self.base = nn.Conv2d(channels_in, pairs_out, 3, padding=dilation, dilation=dilation)

    def full(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the weight and bias of the plain convolution this layer is."""
        weight, bias = self.base.weight, self.base.bias
        mirrored = weight.flip(-1)
        if self.paired_in:
            half = weight.shape[1] // 2
            mirrored = torch.cat([mirrored[:, half:], mirrored[:, :half]], dim=1)
        return torch.cat([weight, mirrored]), torch.cat([bias, bias])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve ``x`` with :meth:`full`."""
        weight, bias = self.full()
        return nn.functional.conv2d(x, weight, bias, padding=self.dilation, dilation=self.dilation)


class MirrorRefiner(nn.Module):
    """The refiner built of :class:`MirrorConv` layers: one run, where the plain one needs two.

    Its scores of a mirrored view are the mirror of its scores of the view, so one run does what the
    plain refiner needs two (the view and its mirror image, averaged) for.
    """

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        if width % 2:
            raise SystemExit("--mirror needs an even --width (channels come in pairs)")
        pairs, layers = width // 2, []
        for index, dilation in enumerate(DILATIONS):
            layers.append(MirrorConv(2 if index == 0 else width, pairs, dilation, paired_in=index > 0))
        self.layers = nn.ModuleList(layers)
        self.head = nn.Conv2d(pairs, 1, 1)

    def head_weight(self) -> torch.Tensor:
        """Return the 1×1 head as a plain convolution: both halves of a pair weighed alike."""
        return torch.cat([self.head.weight, self.head.weight], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return bone scores (N, 1, H, W) for inputs (N, 2, H, W), as :class:`Refiner` does."""
        features = x
        for layer in self.layers:
            features = torch.relu(layer(features))
        return x[:, 1:2] + nn.functional.conv2d(features, self.head_weight(), self.head.bias)

    def load_plain(self, state: dict[str, torch.Tensor]) -> None:
        """Take the weights of a plain :class:`Refiner` that commutes with mirroring (as :meth:`plain` gives).

        The first half of each layer's kernels are this layer's; the second half must be their
        mirrors (checked), as they are in a refiner exported from a :class:`MirrorRefiner`.
        """
        with torch.no_grad():
            for index, layer in enumerate(self.layers):
                pairs = layer.base.weight.shape[0]
                layer.base.weight.copy_(state[f"body.{2 * index}.weight"][:pairs])
                layer.base.bias.copy_(state[f"body.{2 * index}.bias"][:pairs])
                weight, _ = layer.full()
                if not torch.equal(weight, state[f"body.{2 * index}.weight"]):
                    raise SystemExit("--init: the weights do not commute with mirroring")
            self.head.weight.copy_(state["head.weight"][:, : self.head.weight.shape[1]])
            self.head.bias.copy_(state["head.bias"])

    def plain(self) -> Refiner:
        """Return the same network as a plain :class:`Refiner` (for export: one ONNX graph for both)."""
        width = self.head.weight.shape[1] * 2
        plain = Refiner(width)
        convolutions = [module for module in plain.body if isinstance(module, nn.Conv2d)]
        with torch.no_grad():
            for layer, target in zip(self.layers, convolutions, strict=True):
                weight, bias = layer.full()
                target.weight.copy_(weight)
                target.bias.copy_(bias)
            plain.head.weight.copy_(self.head_weight())
            plain.head.bias.copy_(self.head.bias)
        return plain


# --- data ---------------------------------------------------------------------------------------------


def generate(out: Path, cohorts: list[Path], limit: int) -> None:
    """Write the refiner's training arrays for the first ``limit`` baseline scans of each cohort."""
    network = load_network()
    counts, probability, truth, labels_kept, bodies, names = [], [], [], [], [], []
    for cohort in cohorts:
        for case in sorted(cohort.glob("case*"))[:limit]:
            study = load_study(case / "baseline.dcm")
            scores = network.run(network_inputs(study.views))
            with np.load(case / "baseline.maps.npz") as maps:
                for index, view in enumerate(study.views):
                    if any(abs(s - REFINE_SPACING_MM) > 0.01 for s in view.pixel_spacing_mm):
                        raise ValueError(
                            f"{case}: spacing {view.pixel_spacing_mm}, expected {REFINE_SPACING_MM}"
                        )
                    labels = view.orientation.apply(maps[f"labels_{view.name}"])
                    probabilities = view_probabilities(view, scores[index])
                    counts.append(np.minimum(np.maximum(view.counts, 0), 65535).astype(np.uint16))
                    probability.append(probabilities[BONE_LABELS].sum(axis=0).astype(np.float16))
                    truth.append(np.isin(labels, BONE_LABELS))
                    labels_kept.append(labels.astype(np.uint8))
                    bodies.append(body_mask(view.counts))
                    names.append(f"{cohort.name}/{case.name}/{view.name}")
        logger.info("%s: %d views so far", cohort, len(names))
    np.savez(
        out, counts=np.stack(counts), prob=np.stack(probability), truth=np.stack(truth),
        labels=np.stack(labels_kept), body=np.stack(bodies), names=np.array(names),
    )  # fmt: skip


class _Views:
    """The training views, with each view's body box and intensity reference (as ``refined_bone``)."""

    def __init__(self, files: list[Path], focus: list[str], focus_share: float) -> None:
        arrays = [np.load(file) for file in files]
        self.counts = np.concatenate([a["counts"] for a in arrays])
        self.prob = np.concatenate([a["prob"] for a in arrays])
        self.truth = np.concatenate([a["truth"] for a in arrays])
        self.body = np.concatenate([a["body"] for a in arrays])
        self.focus_share = focus_share
        self.focus = [np.empty((0, 2), dtype=np.int64)] * len(self.counts)
        if focus:
            if any("labels" not in a for a in arrays):
                raise SystemExit("--focus needs arrays written with their label maps; run generate again")
            wanted = [region(name).label for name in focus]
            labels = np.concatenate([a["labels"] for a in arrays])
            self.focus = [np.argwhere(np.isin(view, wanted)) for view in labels]
        self.boxes = [bounding_box(body) for body in self.body]
        self.references = [
            canonical_reference(counts[box].astype(np.float32))
            for counts, box in zip(self.counts, self.boxes, strict=True)
        ]

    def __len__(self) -> int:
        return len(self.counts)


def _crop_origin(views: _Views, index: int, rng: np.random.Generator) -> tuple[int, int]:
    rows, columns = views.boxes[index]
    probability = views.prob[index]
    focus = views.focus[index]
    draw = rng.random()
    if draw < views.focus_share and len(focus):  # on the regions asked for
        centre = focus[rng.integers(len(focus))]
    elif draw < 0.7:  # mostly where the network is unsure
        unsure = np.argwhere((probability > 0.05) & (probability < 0.95))
        centre = unsure[rng.integers(len(unsure))] if len(unsure) else (rows.start, columns.start)
    else:
        centre = (rng.integers(rows.start, rows.stop), rng.integers(columns.start, columns.stop))
    shape = probability.shape
    top = int(np.clip(centre[0] - CROP // 2 + rng.integers(-16, 17), 0, shape[0] - CROP))
    left = int(np.clip(centre[1] - CROP // 2 + rng.integers(-16, 17), 0, shape[1] - CROP))
    return top, left


def _sample(views: _Views, index: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return one augmented crop: inputs (2, C, C), truth (C, C) and body mask (C, C)."""
    top, left = _crop_origin(views, index, rng)
    window = (slice(top, top + CROP), slice(left, left + CROP))
    counts = views.counts[index][window].astype(np.float32)
    reference = views.references[index]
    if rng.random() < 0.5:  # fewer counts
        keep = rng.uniform(0.25, 1.0)
        counts = rng.binomial(counts.astype(np.int64), keep).astype(np.float32)
        reference *= keep
    if rng.random() < 0.3:  # a blurrier camera
        counts = ndimage.gaussian_filter(counts, rng.uniform(0.3, 1.0))
    inputs = refine_inputs(counts, views.prob[index][window])[0]
    inputs[0] = normalise(counts, reference) ** rng.uniform(0.8, 1.25)
    if rng.random() < 0.2:  # an 8-bit export
        top_level = max(float(inputs[0].max()), 1e-6)
        inputs[0] = np.round(inputs[0] / top_level * 255) / 255 * top_level
    if rng.random() < 0.5:  # a network less (or more) sure than on simulated scans
        inputs[1] += rng.uniform(-1.0, 1.0)
    truth, body = views.truth[index][window], views.body[index][window]
    if rng.random() < 0.5:
        inputs, truth, body = inputs[:, :, ::-1], truth[:, ::-1], body[:, ::-1]
    return inputs.copy(), truth.astype(np.float32), body.astype(np.float32)


def _batch(views: _Views, indices: np.ndarray, rng: np.random.Generator) -> list[torch.Tensor]:
    samples = [_sample(views, int(index), rng) for index in indices]
    return [torch.from_numpy(np.stack(parts)) for parts in zip(*samples, strict=True)]


class _Teacher:
    """A refiner (ONNX) whose scores the student learns: the view and its mirror image, averaged.

    That is what ``bonescan.anatomy.refine`` computes with a refiner not built to commute with
    mirroring; the average does commute, so a :class:`MirrorRefiner` can learn it.
    """

    def __init__(self, folder: Path) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(folder / "bone_refine.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.name = self.session.get_inputs()[0].name

    def probability(self, inputs: torch.Tensor) -> torch.Tensor:
        """Return the teacher's probability of bone (N, H, W) for inputs (N, 2, H, W)."""
        scores = []
        for x in inputs.numpy()[:, np.newaxis]:  # the shipped graph takes one view at a time
            direct = self.session.run(None, {self.name: x})[0]
            mirrored = self.session.run(None, {self.name: np.ascontiguousarray(x[..., ::-1])})[0][..., ::-1]
            scores.append((direct + mirrored)[0, 0] / 2.0)
        return torch.sigmoid(torch.from_numpy(np.stack(scores)))


def _dice(model: nn.Module, views: _Views, indices: np.ndarray) -> dict[str, float]:
    """Bone Dice of the network's P(bone) > 0.5 and of the refiner on whole held-out views."""
    model.eval()
    before, after = [], []
    with torch.no_grad():
        for index in indices:
            rows, columns = views.boxes[index]
            counts = views.counts[index][rows, columns].astype(np.float32)
            probability = views.prob[index][rows, columns].astype(np.float32)
            truth = views.truth[index][rows, columns]
            scores = model(torch.from_numpy(refine_inputs(counts, probability)))[0, 0].numpy()
            for mask, out in ((probability > 0.5, before), (scores > 0, after)):
                out.append(2 * (mask & truth).sum() / max(mask.sum() + truth.sum(), 1))
    model.train()
    return {"network": float(np.mean(before)), "refined": float(np.mean(after))}


def train(
    files: list[Path],
    out: Path,
    steps: int,
    batch: int,
    width: int,
    seed: int,
    focus: list[str],
    focus_share: float,
    mirror: bool = False,
    teacher: Path | None = None,
    init: Path | None = None,
) -> None:
    """Train the refiner and export it (ONNX and a description) into ``out``.

    With ``teacher`` (a folder holding ``bone_refine.onnx``) the refiner learns the teacher's output
    (:class:`_Teacher`) instead of the truth; with ``init`` (a state dict saved by an earlier run)
    it starts from those weights.
    """
    try:  # torch's exporter needs it: fail now, not after the training
        import onnx  # noqa: F401
    except ImportError:
        raise SystemExit("the ONNX export needs the onnx package: pip install onnx") from None
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    views = _Views(files, focus, focus_share)
    held_out = np.arange(len(views))[-max(len(views) // 20, 1) :]
    training = np.arange(len(views))[: held_out[0]]
    model: nn.Module = MirrorRefiner(width) if mirror else Refiner(width)
    if init is not None:
        state = torch.load(init, weights_only=True)
        if isinstance(model, MirrorRefiner):
            model.load_plain(state)
        else:
            model.load_state_dict(state)
    taught = _Teacher(teacher) if teacher is not None else None
    optimiser = torch.optim.AdamW(model.parameters(), 2e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, 2e-3, total_steps=steps)
    loss_function = nn.BCEWithLogitsLoss(reduction="none")
    started = time.time()
    for step in range(steps):
        inputs, truth, body = _batch(views, rng.choice(training, batch), rng)
        target = truth if taught is None else taught.probability(inputs)
        loss = (loss_function(model(inputs)[:, 0], target) * body).sum() / body.sum().clamp(min=1)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 250 == 0:
            logger.info("step %d loss %.4f (%.0f s)", step, loss.item(), time.time() - started)
    dice = _dice(model, views, held_out)
    logger.info("held-out bone Dice: network %.4f, refined %.4f", dice["network"], dice["refined"])
    description = {
        "name": "bone_refine",
        "spacing_mm": REFINE_SPACING_MM,
        "width": width,
        "dilations": list(DILATIONS),
        "steps": steps,
        "batch": batch,
        "crop": CROP,
        "training_files": [file.name for file in files],
        "focus_regions": focus,
        "focus_share": focus_share if focus else 0.0,
        "seed": seed,
        "mirror_equivariant": mirror,
        "teacher": str(teacher) if teacher is not None else None,
        "initial_weights": str(init) if init is not None else None,
        "training_views": len(training),
        "validation_views": len(held_out),
        "validation_bone_dice": dice,
    }
    _export(model.plain() if isinstance(model, MirrorRefiner) else model, out, description)


def _export(model: Refiner, out: Path, description: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    torch.save(model.state_dict(), out / "bone_refine.pt")  # kept should the export fail
    torch.onnx.export(
        model,
        torch.zeros(1, 2, 256, 128),
        out / "bone_refine.onnx",
        input_names=["inputs"],
        output_names=["scores"],
        dynamic_axes={"inputs": {2: "rows", 3: "columns"}, "scores": {2: "rows", 3: "columns"}},
        opset_version=17,
        dynamo=False,
    )
    (out / "bone_refine.json").write_text(json.dumps(description, indent=1))
    logger.info("exported to %s", out)


def main() -> None:
    """Command line of the training script."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("generate")
    make.add_argument("--out", type=Path, required=True)
    make.add_argument("--limit", type=int, default=250, help="baseline scans per cohort")
    make.add_argument("cohorts", type=Path, nargs="+", help="folders written by bonescan simulate")
    fit = commands.add_parser("train")
    fit.add_argument("--out", type=Path, required=True)
    fit.add_argument("--steps", type=int, default=3000)
    fit.add_argument("--batch", type=int, default=8)
    fit.add_argument("--width", type=int, default=16)
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument(
        "--focus", action="append", default=[], metavar="REGION",
        help="centre a share of the crops on this region (repeatable; needs arrays with label maps)",
    )  # fmt: skip
    fit.add_argument("--focus-share", type=float, default=0.3, help="share of crops centred on --focus")
    fit.add_argument(
        "--mirror", action="store_true",
        help="a refiner that treats a view and its mirror image alike by construction (one run, not two)",
    )  # fmt: skip
    fit.add_argument(
        "--teacher", type=Path, metavar="FOLDER",
        help="learn this refiner's output (view and mirror image averaged) instead of the truth",
    )  # fmt: skip
    fit.add_argument("--init", type=Path, metavar="PT", help="start from this state dict (bone_refine.pt)")
    fit.add_argument("--threads", type=int, default=2, help="torch's threads")
    fit.add_argument("files", type=Path, nargs="+", help="arrays written by generate")
    arguments = parser.parse_args()
    torch.set_num_threads(getattr(arguments, "threads", 2))
    if arguments.command == "generate":
        generate(arguments.out, arguments.cohorts, arguments.limit)
    else:
        train(
            arguments.files, arguments.out, arguments.steps, arguments.batch, arguments.width,
            arguments.seed, arguments.focus, arguments.focus_share, arguments.mirror,
            arguments.teacher, arguments.init,
        )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
