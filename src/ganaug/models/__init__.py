"""Plain ``nn.Module``s: no optimisers, no I/O, no config objects."""
from ganaug.models.dcgan import ConditionalDiscriminator, ConditionalGenerator
from ganaug.models.lenet import LeNet5

__all__ = ["ConditionalDiscriminator", "ConditionalGenerator", "LeNet5"]
