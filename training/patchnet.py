"""The finding classifier with eyes: a small CNN on the patch around a spot, joined with its features."""

from __future__ import annotations

import torch
from torch import nn


class PatchNet(nn.Module):
    """Three convolution blocks on a C x 32 x 32 patch, pooled, joined with the features, then an MLP."""

    def __init__(
        self, features: int, classes: int, width: int = 16, hidden: int = 64, channels: int = 3
    ) -> None:
        super().__init__()
        self.image = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 4 * width, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveMaxPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Sequential(
            nn.Linear(4 * width + features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, classes),
        )

    def forward(self, patch: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Return class scores (logits)."""
        return self.head(torch.cat([self.image(patch), features], dim=1))


class Ensemble(nn.Module):
    """Several nets trained with other seeds; scores are the log of their mean probabilities.

    A softmax of these scores gives the members' mean class probabilities, so a reader of one net's
    scores reads the ensemble unchanged.
    """

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, patch: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Return the log of the members' mean class probabilities."""
        probabilities = torch.stack([torch.softmax(m(patch, features), dim=1) for m in self.members])
        return torch.log(probabilities.mean(dim=0) + 1e-12)
