"""Params that shape the table: the retrain grid, its variants, classical augmentation, the PCA baseline.

Part of the typed, strict view of ``params.yaml`` (``project.py`` assembles and re-exports them);
split out so each file stays small.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ganaug.params.strict import by_level, require


@dataclass(frozen=True)
class AugmentParams:
    """Classical augmentation: each range is drawn uniformly per image, symmetric around the identity."""

    rotation: float = 12.0  # degrees
    shear: float = 10.0  # degrees
    scale: float = 0.1  # zoom by a factor in [1 - scale, 1 + scale]
    translate: float = 0.1  # shift by up to this share of the image width
    elastic: float = 0.03  # std of a smooth displacement field, in image half-widths (0.03 ~ 0.4 px)

    def __post_init__(self):
        require(0 <= self.rotation <= 180, "rotation", "degrees in [0, 180]")
        require(0 <= self.shear < 90, "shear", "degrees in [0, 90)")
        require(0 <= self.scale < 1, "scale", "a number in [0, 1)")
        require(0 <= self.translate <= 1, "translate", "a share of the width in [0, 1]")
        require(self.elastic >= 0, "elastic", "a number >= 0")


@dataclass(frozen=True)
class PcaParams:
    """The cheap generative baseline: a Gaussian per class in the PCA space of the level's images."""

    components: int = 40  # principal components kept (of 784 pixels)
    max_ratio: float = 1.0  # fakes to make, as a multiple of the level's real images: the largest ratio served

    def __post_init__(self):
        require(1 <= self.components <= 784, "components", "an integer in [1, 784]")
        require(self.max_ratio >= 0, "max_ratio", "a number >= 0")


REAL_ONLY = "real_only"  # the row every variant is compared with: trained at every level and seed
FAKE_SOURCES = {
    "none": "real images only",
    "gan": "this level's {generator}, judged by this level's judge",  # the generator named by train_generator.arch
    "pca": "this level's PCA model, judged by this level's judge",
    "leaky": "the GAN and judge of all real training images (leaks data; opt-in)",
}
INITS = ("scratch", "finetune", "pretrain")


@dataclass(frozen=True)
class VariantParams:
    """One row of the table: where its fakes come from and how its LeNet-5s are trained."""

    fakes: str = "gan"  # one of FAKE_SOURCES
    filter: bool = True  # serve only the fakes the judge accepts
    augment: bool = False  # classical augmentation of every training image, real and fake
    # scratch; finetune: continue the real-only LeNet-5 of the same seed (on real + fakes, if any);
    # pretrain: two stages, from scratch on real + fakes, then fine-tuned on the real images only.
    init: str = "scratch"
    ratios: tuple[float, ...] = ()  # fakes per real image, one cell each; empty when fakes is none
    fake_weight: float = 1.0  # loss weight of a fake image (a real one weighs 1): the loss is the weighted mean
    fake_smoothing: float = 0.0  # label smoothing of fakes: 1 - s on the label, s spread over every class
    real_smoothing: float = 0.0  # label smoothing of the real images (a variant's counterpart has the same)
    fake_share: float | None = None  # null: fakes pooled with the real images; else this share of every batch
    enabled: bool = True  # false: defined but not trained

    def __post_init__(self):
        require(self.fakes in FAKE_SOURCES, "fakes", f"one of {', '.join(FAKE_SOURCES)}")
        require(self.init in INITS, "init", f"one of {', '.join(INITS)}")
        require(all(r > 0 for r in self.ratios), "ratios", "numbers > 0 (ratio 0 is the real_only row)")
        require(len(set(self.ratios)) == len(self.ratios), "ratios", "distinct numbers")
        require(self.fake_weight > 0, "fake_weight", "a number > 0 (1 = a fake weighs as a real image)")
        require(0 <= self.fake_smoothing < 1, "fake_smoothing", "a number in [0, 1)")
        require(0 <= self.real_smoothing < 1, "real_smoothing", "a number in [0, 1)")
        require(self.fake_share is None or 0 < self.fake_share < 1, "fake_share", "null or a share in (0, 1)")
        # A two-stage cell would smooth from its first step, its counterpart (finetune_real) only while fine-tuning.
        require(self.real_smoothing == 0 or self.init != "pretrain", "real_smoothing",
                "0 with init: pretrain (its counterpart fine-tunes a real_only model trained on hard labels)")
        if self.fakes == "none":
            require(not self.ratios, "ratios", "empty when fakes is none (the variant trains on real images only)")
            require(self.init != "pretrain", "init", "scratch or finetune when fakes is none (pretrain pre-trains on fakes)")
            require(not self.treats_fakes, "fakes",
                    "a fake source when fake_weight, fake_smoothing or fake_share is set (there are no fakes to treat)")

    @property
    def treats_fakes(self) -> bool:
        """Whether the fakes are learnt from differently from real images (weight, soft targets, share)."""
        return self.fake_weight != 1.0 or self.fake_smoothing > 0 or self.fake_share is not None

    @property
    def counterpart_key(self) -> tuple[bool, str, float]:
        """What a variant and its counterpart without fakes share: augmentation, start (a two-stage cell takes as
        many steps as fine-tuning), real images' label smoothing."""
        return self.augment, "finetune" if self.init == "pretrain" else self.init, self.real_smoothing

    @property
    def custom_loss(self) -> bool:
        """Whether a model of this variant needs ``recipes.FakeTerms``: fakes treated apart, or soft real targets."""
        return self.treats_fakes or self.real_smoothing > 0

    def cell_ratios(self) -> tuple[float, ...]:
        return self.ratios if self.fakes != "none" else (0.0,)


DEFAULT_VARIANTS = {
    "classical": VariantParams(fakes="none", filter=False, augment=True),
    "gan": VariantParams(fakes="gan", filter=False, ratios=(0.5, 1.0, 2.0)),
    "gan_filtered": VariantParams(fakes="gan", ratios=(0.01, 0.1, 0.5, 1.0, 2.0)),
    "gan_classical": VariantParams(fakes="gan", augment=True, ratios=(0.1, 0.5, 1.0)),
    "pca": VariantParams(fakes="pca", ratios=(0.1, 0.5, 1.0)),
    "finetune": VariantParams(fakes="gan", init="finetune", ratios=(0.1, 0.5, 1.0)),
    "finetune_real": VariantParams(fakes="none", filter=False, init="finetune"),
    "two_stage": VariantParams(fakes="gan", init="pretrain", ratios=(0.5, 1.0)),
    "smoothing10": VariantParams(fakes="none", filter=False, real_smoothing=0.1),
    "smoothing30": VariantParams(fakes="none", filter=False, real_smoothing=0.3),
    "smooth10": VariantParams(fakes="gan", fake_smoothing=0.1, real_smoothing=0.1, ratios=(1.0,)),
    "smooth30": VariantParams(fakes="gan", fake_smoothing=0.3, real_smoothing=0.3, ratios=(1.0,)),
    "share10": VariantParams(fakes="gan", fake_share=0.1, ratios=(1.0,)),
    "share30": VariantParams(fakes="gan", fake_share=0.3, ratios=(1.0,)),
    "weight25": VariantParams(fakes="gan", fake_weight=0.25, ratios=(1.0,)),
    "weight50": VariantParams(fakes="gan", fake_weight=0.5, ratios=(1.0,)),
    "leaky": VariantParams(fakes="leaky", ratios=(0.1, 0.5, 1.0), enabled=False),
}


@dataclass(frozen=True)
class GridParams:
    # LeNet-5s per cell, seeds 0..n-1, by level (strict.by_level: a level takes the count of the smallest
    # key at or above it): the paired tests need several at every level.
    seeds: dict[int, int] = field(default_factory=lambda: {1000: 5, 60000: 3})
    headline: str = "gan_filtered"  # the fake variant of the README's headline table
    # The level whose GAN, judge and fakes a leaky variant borrows: all of MNIST. Retrain reads
    # its fakes at every level (DVC has no conditional deps), so it must be one of the levels.
    leaky_level: int = 60_000

    def __post_init__(self):
        require(all(n >= 2 for n in self.seeds.values()), "seeds", "at least 2 seeds per level (a spread needs two)")

    def seeds_for(self, level: int) -> tuple[int, ...]:
        return tuple(range(by_level(self.seeds, level)))
