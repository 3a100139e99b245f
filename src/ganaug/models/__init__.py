"""Plain ``nn.Module``s: no optimisers, no I/O, no config objects."""
from ganaug.models.dcgan import ConditionalDiscriminator, ConditionalGenerator
from ganaug.models.lenet import LeNet5
from ganaug.models.mlp import MlpDiscriminator, MlpGenerator

__all__ = ["ConditionalDiscriminator", "ConditionalGenerator", "LeNet5", "MlpDiscriminator", "MlpGenerator"]
