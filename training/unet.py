"""The skeleton-labelling network: a small U-Net, trained here and shipped as ONNX in the package."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


class _Block(nn.Sequential):
    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__(
            nn.Conv2d(inputs, outputs, 3, padding=1, bias=False),
            nn.BatchNorm2d(outputs),
            nn.ReLU(inplace=True),
            nn.Conv2d(outputs, outputs, 3, padding=1, bias=False),
            nn.BatchNorm2d(outputs),
            nn.ReLU(inplace=True),
        )


class UNet(nn.Module):
    """U-Net with four poolings; input (N, 2, 512, 128): intensity and a view plane (0 ant, 1 post)."""

    def __init__(self, classes: int, inputs: int = 2, width: int = 16) -> None:
        super().__init__()
        sizes = [width, width * 2, width * 4, width * 8, width * 12]
        self.down = nn.ModuleList()
        previous = inputs
        for size in sizes:
            self.down.append(_Block(previous, size))
            previous = size
        self.up = nn.ModuleList(
            _Block(sizes[level + 1] + sizes[level], sizes[level]) for level in reversed(range(len(sizes) - 1))
        )
        self.head = nn.Conv2d(sizes[0], classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return class scores (N, classes, H, W) for inputs (N, 2, H, W)."""
        skips = []
        for index, block in enumerate(self.down):
            x = block(x)
            if index < len(self.down) - 1:
                skips.append(x)
                x = F.max_pool2d(x, 2)
        for block, skip in zip(self.up, reversed(skips), strict=True):
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], dim=1))
        return self.head(x)
