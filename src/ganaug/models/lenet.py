"""LeNet-5 (LeCun et al. 1998) with ReLU and max pooling, sized to the dataset's images."""
import torch
from torch import nn


def feature_side(size: int) -> int:
    """The side of the second pooling's output for ``size`` x ``size`` input: 5 for MNIST's 28."""
    return (size // 2 - 4) // 2


class LeNet5(nn.Module):
    """Classic LeNet-5: two conv/pool blocks, then 120 -> 84 -> classes.

    Input: images scaled to [-1, 1], shape (N, channels, size, size). Output: class logits.
    The defaults are MNIST's; the pipeline passes the dataset description's sizes.
    """

    def __init__(self, n_classes: int = 10, channels: int = 1, size: int = 28):
        super().__init__()
        side = feature_side(size)
        self.features = nn.Sequential(
            nn.Conv2d(channels, 6, kernel_size=5, padding=2),  # (N, 6, S, S)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, 6, S/2, S/2)
            nn.Conv2d(6, 16, kernel_size=5),  # (N, 16, S/2 - 4, S/2 - 4)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, 16, side, side): 5 x 5 for 28 x 28 digits
            nn.Flatten(),  # (N, 16 side^2)
            nn.Linear(16 * side * side, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),  # (N, 84): the penultimate features
        )
        self.classifier = nn.Linear(84, n_classes)  # (N, classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(images))


def lenet_config(n_classes: int, channels: int, size: int) -> dict:
    """What rebuilds a LeNet-5 from its checkpoint: ``LeNet5(**config)``."""
    return {"n_classes": n_classes, "channels": channels, "size": size}
