"""Params of the GAN zoo (``train_generator``) and of the side-by-side comparison (``compare``).

Part of the typed, strict view of ``params.yaml`` (``project.py`` assembles it). The backbone (``arch``) and the
objective's terms are separate keys, as in StudioGAN: an auxiliary classifier (``class_weight`` >
0: AC-GAN) and a gradient penalty (``gp_weight`` > 0: with ``loss: wasserstein``, WGAN-GP) go
with either backbone's loss. The few combinations that conflict are refused here, before any
training, with a one-line reason naming the key to change.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields

from ganaug.generators.diffaugment import OPS as DIFFAUGMENT_OPS
from ganaug.generators.losses import LOSSES
from ganaug.params.strict import by_level, require

ARCHS = ("dcgan", "mlp", "flow")  # backbones; generators/gan_models.py builds each (flow: generators/flow.py)
SAMPLERS = ("euler", "heun")  # the flow's ODE solvers
LOSS_NAMES = tuple(LOSSES)
SIGMOID_LOSSES = ("nonsaturating", "saturating")  # the ones whose targets label smoothing or noise can soften
NORMS = ("batch", "layer", "none")
# Recommended widths: DCGAN channels (7x7 projection first; critic from the input side), MLP units.
CONV_WIDTHS = {"generator": (64, 32), "discriminator": (32, 64)}
MLP_WIDTHS = {"generator": (256, 512, 1024), "discriminator": (1024, 512, 256)}
FLOW_WIDTHS = {"generator": (32, 64, 64), "discriminator": ()}  # U-Net channels at S, S/2, S/4; a flow has no D


@dataclass(frozen=True)
class TrainGeneratorParams:
    arch: str = "dcgan"  # the backbone: dcgan (convolutional) | mlp (fully connected) | flow (flow matching, no D)
    latent_dim: int = 64  # size of the generator's noise vector
    latent: str = "gaussian"  # gaussian N(0, 1) | uniform U[-1, 1]
    output: str = "tanh"  # tanh with data in [-1, 1] | sigmoid with data in [0, 1]
    # Generator / discriminator widths; None = the arch's recommended ones (CONV_WIDTHS, MLP_WIDTHS).
    # dcgan: channels of the 7x7 projection, then of each 14x14 block; D: channels per block (the
    # first two halve the size, later ones keep 7x7). mlp: units per hidden layer. flow: the U-Net's
    # channels at the side, half and a quarter of it (3 integers).
    g_widths: tuple[int, ...] | None = None
    d_widths: tuple[int, ...] | None = None
    d_norm: str | None = None  # batch | layer | none; None = batch, layer with a gradient penalty (mlp has none)
    spectral_norm: bool = False  # spectral normalisation of every D weight (Miyato et al. 2018)
    mlp_dropout: float = 0.4  # dropout after each hidden layer of the mlp discriminator
    # Generator updates: None = ``epochs`` of the level's real images, clipped to [min_steps,
    # max_steps] (a small level needs more passes, a large one fewer); an integer = exactly that many.
    steps: int | None = None
    epochs: float = 50.0
    min_steps: int = 4000
    max_steps: int = 10000
    # GANs per level (seeds 0..n-1, each its own generator, fakes and health), by level as grid.seeds
    # (strict.by_level); a level above every key gets 1.
    seeds: dict[int, int] = field(default_factory=lambda: {1000: 3})
    # Snapshot selection, from the level's own real images only (generators/snapshots.py): every
    # ``snapshot_every`` steps, ``snapshot_samples`` class-balanced fakes are scored by FID in the
    # level judge's features; the generator kept is the best snapshot whose share of near-copies of
    # training images is at most ``max_copy_share``. A near-copy is nearer (pixels) to a training
    # image than the ``copy_quantile`` quantile of the training images' distances to each other.
    snapshot_every: int = 500
    snapshot_samples: int = 1000
    copy_quantile: float = 0.01
    max_copy_share: float = 0.05
    patience: int | None = 3  # stop after this many snapshots without a better one; None = never
    # DiffAugment (Zhao et al. 2020) in front of D, for real images and fakes alike, in both steps.
    # Ops of DIFFAUGMENT_OPS, in order; () = off, the default: measured at 500 and 1000 real images,
    # translation + cutout raised FID and lowered GAN-train (benchmarks/diffaugment.py, docs/training.md).
    diffaugment: tuple[str, ...] = ()
    translation: float = 0.125  # largest shift, as a share of the side (3.5 px of 28)
    cutout: float = 0.25  # side of the erased square, as a share of the side (7 px of 28)
    augment_probability: float = 1.0  # each op is applied to each image with this probability
    # Train the level's GAN seeds stacked, one step for all (generators/gan_stack.py): fewer, larger
    # kernels, for a GPU; on a 2-core CPU it is slower than one GAN after another (benchmarks/throughput.py).
    # GANs only: flows train one after another whatever it says.
    stack: bool = False
    batch_size: int = 64
    dstep: int = 1  # discriminator updates per generator update (n_critic for WGAN-GP)
    lr_generator: float = 2e-4  # DCGAN paper's Adam settings
    lr_discriminator: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    loss: str = "nonsaturating"  # one of LOSS_NAMES (losses.py)
    real_label: float = 0.9  # one-sided label smoothing: D's target for real images (1.0 = off)
    noisy_labels: bool = False  # draw D's targets per image from noisy_real / noisy_fake instead
    noisy_real: tuple[float, ...] = (0.7, 1.2)  # [low, high] of the real targets (Chintala et al., "ganhacks")
    noisy_fake: tuple[float, ...] = (0.0, 0.3)  # [low, high] of the fake targets
    # > 0: AC-GAN (Odena et al. 2017): D sees the image alone and also predicts its class, with this
    # weight on the class loss for D and G; 0 = a conditional D that sees the label as a channel.
    class_weight: float = 0.0
    # With class_weight > 0: D learns the class of fakes too (Odena et al.); false = of real images only,
    # so D's class head stays a classifier of real images and cannot agree with G on a permuted labelling.
    class_loss_on_fakes: bool = True
    gp_weight: float = 0.0  # > 0: a gradient penalty of this weight on D (Gulrajani et al. 2017; WGAN-GP with wasserstein)
    ema: float = 0.0  # decay of a moving average of G's weights, sampled instead of G; 0 = off, 0.999 typical
    # arch flow only (generators/flow.py): classifier-free guidance (Ho & Salimans 2022) trains with each
    # label dropped to a null class with probability ``label_drop`` and samples v_c + guidance (v_c - v_u)
    # (0 = the conditional field alone); the ODE from noise to image takes ``sampler_steps`` steps of
    # ``sampler`` (euler: one forward pass a step; heun: two, second order).
    label_drop: float = 0.1
    guidance: float = 1.0
    sampler: str = "heun"
    sampler_steps: int = 4
    log_every: int = 100  # steps per logged interval of losses and D outputs
    checkpoint_every: int = 500  # steps between saves of the whole training state; a killed run resumes
    # Warn when mean D(G(z)) stays under this floor for this many logged intervals: D wins outright.
    d_wins_floor: float = 0.05
    d_wins_intervals: int = 5

    def __post_init__(self):
        for key in ("latent_dim", "batch_size", "dstep", "log_every", "checkpoint_every", "d_wins_intervals",
                    "min_steps", "snapshot_every", "snapshot_samples"):
            require(getattr(self, key) >= 1, key, "an integer >= 1")
        require(self.steps is None or self.steps >= 1, "steps", "None (from epochs) or an integer >= 1")
        require(self.epochs > 0, "epochs", "a positive number")
        require(self.max_steps >= self.min_steps, "max_steps", "an integer >= min_steps")
        require(all(n >= 1 for n in self.seeds.values()), "seeds", "a GAN count >= 1 per level")
        require(0 < self.copy_quantile < 1, "copy_quantile", "a share in (0, 1)")
        require(0 <= self.max_copy_share <= 1, "max_copy_share", "a share in [0, 1]")
        require(self.patience is None or self.patience >= 1, "patience", "None (never stop early) or an integer >= 1")
        unknown = [op for op in self.diffaugment if op not in DIFFAUGMENT_OPS]
        require(not unknown, "diffaugment", f"a list of {', '.join(DIFFAUGMENT_OPS)} (got {', '.join(unknown)})")
        require(len(set(self.diffaugment)) == len(self.diffaugment), "diffaugment", "each op at most once")
        # Beyond half the side a shift moves a centred digit out of the frame; a cutout that large erases it.
        require(0 < self.translation <= 0.5, "translation", "a share of the side in (0, 0.5]")
        require(0 < self.cutout <= 0.5, "cutout", "a share of the side in (0, 0.5]")
        require(0 < self.augment_probability <= 1, "augment_probability", "a probability in (0, 1]")
        require(self.arch in ARCHS, "arch", f"one of {', '.join(ARCHS)} (AC-GAN is class_weight > 0; "
                "WGAN-GP is loss: wasserstein with gp_weight > 0)")
        require(self.latent in ("gaussian", "uniform"), "latent", "gaussian or uniform")
        require(self.output in ("tanh", "sigmoid"), "output", "tanh or sigmoid")
        for key in ("g_widths", "d_widths"):
            widths = getattr(self, key)
            least = 1 if self.arch == "mlp" else 2
            require(widths is None or (len(widths) >= least and min(widths) >= 1), key,
                    f"None or a list of at least {least} integers >= 1")
        require(self.arch != "flow" or self.g_widths is None or len(self.g_widths) == 3, "g_widths",
                "None or 3 integers >= 1 for arch flow (the U-Net's channels at S, S/2 and S/4)")
        require(0 <= self.label_drop < 1, "label_drop", "a probability in [0, 1)")
        require(self.guidance >= 0, "guidance", "a number >= 0 (0 = no guidance)")
        require(self.sampler in SAMPLERS, "sampler", f"one of {', '.join(SAMPLERS)}")
        require(self.sampler_steps >= 1, "sampler_steps", "an integer >= 1")
        require(self.d_norm is None or self.d_norm in NORMS, "d_norm", f"None or one of {', '.join(NORMS)}")
        require(0 <= self.mlp_dropout < 1, "mlp_dropout", "a share in [0, 1)")
        for key in ("lr_generator", "lr_discriminator"):
            require(getattr(self, key) > 0, key, "a positive learning rate")
        for key in ("beta1", "beta2"):
            require(0 <= getattr(self, key) < 1, key, "a number in [0, 1)")
        require(self.loss in LOSS_NAMES, "loss", f"one of {', '.join(LOSS_NAMES)}")
        require(0 < self.real_label <= 1, "real_label", "a number in (0, 1]")
        for key in ("noisy_real", "noisy_fake"):
            bounds = getattr(self, key)
            require(len(bounds) == 2 and 0 <= bounds[0] <= bounds[1], key, "a range [low, high] with 0 <= low <= high")
        # A target above 1 is fine per image, but BCE rewards D without bound if the mean target is above 1.
        real_mean, fake_mean = sum(self.noisy_real) / 2, sum(self.noisy_fake) / 2
        require(real_mean <= 1, "noisy_real", "a range whose middle is at most 1 (the mean target is a probability)")
        require(fake_mean < real_mean, "noisy_fake", "a range whose middle is below noisy_real's")
        for key in ("class_weight", "gp_weight"):
            require(getattr(self, key) >= 0, key, "a number >= 0")
        require(0 <= self.ema < 1, "ema", "a decay in [0, 1) (0 = off)")
        require(0 <= self.d_wins_floor < 1, "d_wins_floor", "a probability in [0, 1)")
        self._refuse_nonsense()

    def _refuse_nonsense(self) -> None:
        """Combinations that conflict: refused with the reason."""
        require(self.loss != "wasserstein" or self.gp_weight > 0, "gp_weight",
                "a number > 0 with loss wasserstein (without the gradient penalty the critic is not Lipschitz)")
        require(self.gp_weight == 0 or self.d_norm != "batch", "d_norm",
                "layer or none with a gradient penalty (it is per image; BatchNorm mixes the images of a batch)")
        require(self.arch != "mlp" or self.d_norm in (None, "none"), "d_norm",
                "None or none for arch mlp (its discriminator has no normalisation layers)")
        require(self.arch != "mlp" or self.class_weight == 0, "class_weight",
                "0 for arch mlp (its discriminator has no class head; AC-GAN needs arch dcgan)")
        softened = self.real_label < 1 or self.noisy_labels
        require(self.loss in SIGMOID_LOSSES or not softened, "loss",
                f"one of {', '.join(SIGMOID_LOSSES)} with label smoothing or noisy labels (a {self.loss} loss has no"
                " target to soften; set real_label: 1.0 and noisy_labels: false)")
        require(not (self.stack and self.spectral_norm), "stack",
                "false with spectral_norm (torch.func cannot batch spectral normalisation's power iteration)")
        require(self.arch != "flow" or self.latent == "gaussian", "latent", "gaussian for arch flow (its noise is a "
                "Gaussian image)")
        require(self.arch != "flow" or self.output == "tanh", "output", "tanh for arch flow (it samples in [-1, 1])")
        require(self.arch != "flow" or self.guidance == 0 or self.label_drop > 0, "label_drop",
                "> 0 with guidance > 0 for arch flow (guidance needs the unconditional field that dropped labels train)")
        require(not (self.noisy_labels and self.real_label < 1), "noisy_labels",
                "false with real_label < 1 (noisy labels already draw the real target; set real_label: 1.0)")

    def steps_for(self, n_real: int) -> int:
        """Generator updates for a level of ``n_real`` images (the most; patience may stop earlier)."""
        if self.steps is not None:
            return self.steps
        return min(max(math.ceil(self.epochs * n_real / self.batch_size), self.min_steps), self.max_steps)

    def seeds_for(self, level: int) -> tuple[int, ...]:
        """The level's GAN seeds, 0..n-1."""
        return tuple(range(by_level(self.seeds, level) or 1))

    def widths(self, model: str) -> tuple[int, ...]:
        """The ``generator`` or ``discriminator`` widths, the arch's recommended ones when unset."""
        chosen = self.g_widths if model == "generator" else self.d_widths
        return chosen or {"mlp": MLP_WIDTHS, "flow": FLOW_WIDTHS}.get(self.arch, CONV_WIDTHS)[model]

    def norm(self) -> str:
        if self.arch == "mlp":
            return "none"
        return self.d_norm or ("layer" if self.gp_weight > 0 else "batch")

    @property
    def auxiliary(self) -> bool:
        """AC-GAN: D predicts the class instead of seeing it."""
        return self.class_weight > 0

    @property
    def noun(self) -> str:
        """What progress lines and the report call the generator: "flow" for arch flow, else "GAN"."""
        return "flow" if self.arch == "flow" else "GAN"


@dataclass(frozen=True)
class CompareParams:
    """`dvc repro compare/dvc.yaml`: several GAN configurations at one level, side by side."""

    level: int = 1000  # one of prepare.levels; every configuration trains on this level's real images
    ratio: float = 0.5  # fakes per real image for the downstream LeNet-5s
    filter: bool = True  # serve judge-accepted fakes only
    seeds: int = 5  # LeNet-5s per configuration, and for real only (seeds 0..n-1)
    # name -> train_generator keys that differ from the train_generator section ({} = the pipeline's own GAN).
    configs: dict[str, dict] = field(default_factory=lambda: {
        "dcgan": {}, "dcgan_ema": {"ema": 0.999}, "dcgan_deeper_d": {"d_widths": [32, 64, 128]},
        "acgan": {"class_weight": 1.0}, "acgan_real_classes": {"class_weight": 1.0, "class_loss_on_fakes": False},
        "wgan-gp": {"loss": "wasserstein", "real_label": 1.0, "dstep": 5, "lr_generator": 1e-4, "lr_discriminator": 1e-4,
                    "beta1": 0.0, "beta2": 0.9, "d_norm": "layer", "gp_weight": 10.0},
        "mlp": {"arch": "mlp"},
        "flow": {"arch": "flow", "g_widths": [24, 48, 96], "batch_size": 128, "lr_generator": 1e-3, "beta1": 0.9,
                 "ema": 0.999, "snapshot_every": 500, "seeds": {1000: 1}},
    })

    def __post_init__(self):
        require(self.ratio > 0, "ratio", "a number > 0")
        require(self.seeds >= 1, "seeds", "an integer >= 1")
        require(len(self.configs) > 0, "configs", "a non-empty mapping of name -> train_generator overrides")
        require(all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name) for name in self.configs), "configs",
                "names of letters, digits, - and _ (each names a folder and a DVC stage)")
        known = {f.name for f in fields(TrainGeneratorParams)}
        for name, overrides in self.configs.items():
            unknown = sorted(set(overrides) - known)
            require(not unknown, f"configs.{name}", f"train_generator keys only ({', '.join(unknown)} unknown)")
