"""LeNet-5 (LeCun et al. 1998) with ReLU and max pooling, for 28x28 MNIST digits."""
import torch
from torch import nn


class LeNet5(nn.Module):
    """Classic LeNet-5: two conv/pool blocks, then 120 -> 84 -> classes.

    Input: images scaled to [-1, 1], shape (N, 1, 28, 28). Output: class logits.
    """

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2),  # (N, 6, 28, 28)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, 6, 14, 14)
            nn.Conv2d(6, 16, kernel_size=5),  # (N, 16, 10, 10)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, 16, 5, 5)
            nn.Flatten(),  # (N, 400)
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),  # (N, 84): the penultimate features
        )
        self.classifier = nn.Linear(84, n_classes)  # (N, classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(images))
