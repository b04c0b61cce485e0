"""Diffusion engine: resident Stable Diffusion family pipelines, batched, cancellable, tileable per axis."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Hashable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import AutoPipelineForImage2Image, AutoPipelineForText2Image, DiffusionPipeline
from PIL import Image

from worldsmith._proto.worldsmith.v1 import common_pb2
from worldsmith.errors import Cancelled, DeadlineExceeded, WorldsmithError
from worldsmith.runtime import metrics
from worldsmith.runtime.engine import Engine, Job, LaneLimits

log = logging.getLogger(__name__)

WARMUP_SIZE = 64


@dataclass(frozen=True)
class DiffusionRequest:
    """One caller's images: one per seed, all from the same prompt and settings."""

    prompt: str
    width: int
    height: int
    steps: int
    guidance_scale: float
    seeds: tuple[int, ...]
    negative_prompt: str = ""
    tile_x: bool = False
    tile_y: bool = False
    # RGB, already width x height; None for text-to-image.
    init_image: Image.Image | None = None
    # Share of the init image's noise schedule that is repainted (img2img only).
    strength: float = 1.0
    # Attach a latent preview to every Nth progress event (0: never).
    preview_every: int = 0


@dataclass(frozen=True)
class DiffusionOutput:
    """Decoded images, float32 HxWx3 in [0, 1], one per seed, and how many steps ran."""

    images: list[np.ndarray]
    steps: int


class DiffusionEngine(Engine):
    """Text-to-image and image-to-image pipelines sharing one set of weights.

    Jobs with the same size, steps, guidance, tiling and img2img strength run as one pipeline
    call, one torch.Generator per image so each image depends only on its own seed.
    """

    name = "diffusion"
    max_batch_size = 4
    # Long enough for requests sent together to meet, short next to a single step.
    batch_window_s = 0.005

    def __init__(self, text2img: DiffusionPipeline, model_id: str, revision: str, limits: LaneLimits | None = None,
                 max_batch_size: int = 4):
        super().__init__(name=model_id, limits=limits)
        self.text2img = text2img
        self.img2img = AutoPipelineForImage2Image.from_pipe(text2img)
        for pipeline in (self.text2img, self.img2img):
            pipeline.set_progress_bar_config(disable=True)
        self.model_id = model_id
        self.revision = revision
        self.max_batch_size = max_batch_size
        self.default_steps, self.default_guidance = _defaults(text2img)
        self._latent_to_rgb = _fit_latent_preview(text2img)

    # -- engine hooks ------------------------------------------------------------------
    def batch_key(self, payload: DiffusionRequest) -> Hashable:
        img2img = payload.init_image is not None
        return (payload.width, payload.height, payload.steps, payload.guidance_scale, payload.tile_x, payload.tile_y,
                img2img, payload.strength if img2img else None)

    def run_batch(self, jobs: list[Job]) -> None:
        requests: list[DiffusionRequest] = [job.payload for job in jobs]
        first = requests[0]
        owners = [j for j, request in enumerate(requests) for _ in request.seeds]
        reporter = _StepReporter(self, jobs, owners)
        arguments = dict(
            prompt=[requests[j].prompt for j in owners],
            negative_prompt=[requests[j].negative_prompt for j in owners],
            num_inference_steps=first.steps,
            guidance_scale=first.guidance_scale,
            # CPU generators: the same seed gives the same noise on every device.
            generator=[torch.Generator("cpu").manual_seed(seed) for request in requests for seed in request.seeds],
            output_type="latent",
            callback_on_step_end=reporter,
            callback_on_step_end_tensor_inputs=["latents"],
        )
        if first.init_image is not None:
            pipeline = self.img2img
            arguments.update(image=[requests[j].init_image for j in owners], strength=first.strength)
        else:
            pipeline = self.text2img
            arguments.update(width=first.width, height=first.height)
        started = time.monotonic()
        with torch.inference_mode(), circular_padding([pipeline.unet, pipeline.vae], first.tile_x, first.tile_y):
            latents = pipeline(**arguments).images
            if reporter.steps:
                metrics.DIFFUSION_STEPS_PER_SECOND.labels(self.name).observe(reporter.steps / (time.monotonic() - started))
            for j, job in enumerate(jobs):
                if job.ctx.is_cancelled:
                    metrics.DIFFUSION_STEPS_AFTER_CANCEL.labels(self.name).observe(reporter.steps_after_stop(j))
                    job.fail(_why_stopped(job))  # its caller has gone or run out of time: no decode
                    continue
                rows = [i for i, owner in enumerate(owners) if owner == j]
                job.finish(DiffusionOutput(images=list(self._decode(latents[rows])), steps=reporter.steps))

    # -- lifecycle ---------------------------------------------------------------------
    def warmup(self) -> None:
        """One tiny generation so the first caller does not pay for lazy initialisation."""
        with torch.inference_mode():
            self.text2img(prompt="warm-up", width=WARMUP_SIZE, height=WARMUP_SIZE, num_inference_steps=1,
                          guidance_scale=self.default_guidance, output_type="latent")

    def memory_bytes(self) -> int:
        return sum(
            tensor.numel() * tensor.element_size()
            for component in self.text2img.components.values() if isinstance(component, torch.nn.Module)
            for tensor in (*component.parameters(), *component.buffers())
        )

    # -- helpers -----------------------------------------------------------------------
    def _decode(self, latents: torch.Tensor) -> np.ndarray:
        vae = self.text2img.vae
        with _vae_in_float32(vae):
            latents = latents.to(vae.dtype)
            config = vae.config
            if getattr(config, "latents_mean", None) is not None and getattr(config, "latents_std", None) is not None:
                mean = torch.tensor(config.latents_mean).view(1, -1, 1, 1).to(latents)
                std = torch.tensor(config.latents_std).view(1, -1, 1, 1).to(latents)
                latents = latents * std / config.scaling_factor + mean
            else:
                latents = latents / config.scaling_factor
            pixels = vae.decode(latents, return_dict=False)[0]
        return self.text2img.image_processor.postprocess(pixels, output_type="np").astype(np.float32)

    def preview_png(self, latents: torch.Tensor) -> bytes:
        """A cheap RGB preview of one image's latents: a fitted linear map, no VAE decode."""
        channels = latents.float().permute(1, 2, 0).cpu().numpy()
        weights, bias = self._latent_to_rgb
        rgb = np.clip(channels @ weights + bias, 0.0, 1.0)
        buffer = io.BytesIO()
        Image.fromarray((rgb * 255 + 0.5).astype(np.uint8)).save(buffer, format="PNG")
        return buffer.getvalue()


class _StepReporter:
    """`callback_on_step_end`: progress and previews per job, a stop when every caller has gone."""

    def __init__(self, engine: DiffusionEngine, jobs: list[Job], owners: list[int]):
        self.engine = engine
        self.jobs = jobs
        self.first_row = {j: owners.index(j) for j in range(len(jobs))}
        self.steps = 0
        self.stopped_at: dict[int, int] = {}  # job index -> steps run when its stop was first seen

    def steps_after_stop(self, j: int) -> int:
        """Steps run for job `j` after its stop was seen (its batch goes on while others in it still want it)."""
        return self.steps - self.stopped_at.get(j, self.steps)

    def __call__(self, pipeline, index: int, timestep, tensors: dict) -> dict:
        self.steps += 1
        metrics.DIFFUSION_STEPS.labels(self.engine.name).inc()
        step, total = index + 1, pipeline.num_timesteps
        for j, job in enumerate(self.jobs):
            if job.ctx.should_stop():
                self.stopped_at.setdefault(j, self.steps)
                continue
            every = job.payload.preview_every
            preview = b""
            if every and step % every == 0 and step < total:
                preview = self.engine.preview_png(tensors["latents"][self.first_row[j]])
            job.emit(common_pb2.Progress(stage="denoise", step=step, total=total, preview_png=preview))
        if all(job.ctx.should_stop() for job in self.jobs):
            pipeline._interrupt = True
        return {}


def _why_stopped(job: Job) -> WorldsmithError:
    remaining = job.ctx.time_remaining()
    if remaining is not None and remaining <= 0:
        return DeadlineExceeded("the deadline passed during denoising")
    return Cancelled()


@contextlib.contextmanager
def circular_padding(modules: list[torch.nn.Module], x: bool, y: bool) -> Iterator[None]:
    """Inside the block every padded Conv2d of `modules` wraps around on the chosen axes.

    A network whose convolutions all wrap computes on a torus, so its output tiles along that
    axis; the other axis keeps zero padding.
    """
    if not (x or y):
        yield
        return
    convs = [
        conv for module in modules for conv in module.modules()
        if isinstance(conv, torch.nn.Conv2d) and isinstance(conv.padding, tuple) and any(conv.padding)
    ]
    for conv in convs:
        conv._conv_forward = functools.partial(_wrapped_conv, conv, x, y)
    try:
        yield
    finally:
        for conv in convs:
            del conv._conv_forward


def _wrapped_conv(conv: torch.nn.Conv2d, x: bool, y: bool, input: torch.Tensor, weight: torch.Tensor,
                  bias: torch.Tensor | None) -> torch.Tensor:
    pad_y, pad_x = conv.padding
    input = F.pad(input, (pad_x, pad_x, 0, 0), mode="circular" if x else "constant")
    input = F.pad(input, (0, 0, pad_y, pad_y), mode="circular" if y else "constant")
    return F.conv2d(input, weight, bias, conv.stride, 0, conv.dilation, conv.groups)


@contextlib.contextmanager
def _vae_in_float32(vae: torch.nn.Module) -> Iterator[None]:
    """SDXL-style VAEs overflow in float16; run them in float32 the way diffusers' SDXL pipeline does."""
    upcast = vae.dtype == torch.float16 and getattr(vae.config, "force_upcast", False)
    if upcast:
        vae.to(torch.float32)
    try:
        yield
    finally:
        if upcast:
            vae.to(torch.float16)


def _defaults(pipeline: DiffusionPipeline) -> tuple[int, float]:
    """Steps and guidance for a request that names neither.

    Few-step distilled models (SD-Turbo, SDXL-Turbo, Lightning, LCM) ship schedulers with
    trailing timestep spacing or an LCM scheduler and want a handful of steps without
    classifier-free guidance; the base models want tens of steps with guidance.
    """
    scheduler = pipeline.scheduler
    few_step = type(scheduler).__name__ == "LCMScheduler" or scheduler.config.get("timestep_spacing") == "trailing"
    return (4, 0.0) if few_step else (30, 7.5)


def _fit_latent_preview(pipeline: DiffusionPipeline, samples: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares linear map from latent channels to RGB, fitted on the model's own VAE.

    Encodes a few smooth random colour fields and regresses their colours (pooled to latent
    resolution) on the latents: a preview then costs one small matrix product per step.
    """
    vae = pipeline.vae
    factor = pipeline.vae_scale_factor
    size = WARMUP_SIZE
    generator = torch.Generator("cpu").manual_seed(0)
    coarse = torch.rand(samples, 3, 4, 4, generator=generator)
    images = F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False).clamp(0, 1)
    with torch.inference_mode(), _vae_in_float32(vae):
        latents = vae.encode((images * 2 - 1).to(vae.device, vae.dtype)).latent_dist.mean * vae.config.scaling_factor
    latents = latents.float().cpu()
    colours = F.avg_pool2d(images, factor)
    design = latents.permute(0, 2, 3, 1).reshape(-1, latents.shape[1]).numpy()
    target = colours.permute(0, 2, 3, 1).reshape(-1, 3).numpy()
    design = np.concatenate([design, np.ones((len(design), 1), np.float32)], axis=1)
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    return solution[:-1].astype(np.float32), solution[-1].astype(np.float32)


def load(source: str, revision: str, device: str, dtype: torch.dtype, limits: LaneLimits | None = None, *,
         max_batch_size: int = 4) -> DiffusionEngine:
    """Load a Stable Diffusion family model (local directory or Hugging Face id) onto `device`."""
    folder, resolved = _locate(source, revision)
    text2img = AutoPipelineForText2Image.from_pretrained(folder, dtype=dtype)
    text2img.to(device)
    engine = DiffusionEngine(text2img, model_id=source, revision=resolved, limits=limits, max_batch_size=max_batch_size)
    log.info("diffusion model %s (%s) resident on %s as %s", source, resolved, device, dtype)
    return engine


def _locate(source: str, revision: str) -> tuple[Path, str]:
    """The model's local folder and the revision that pins its content."""
    path = Path(source).expanduser()
    if path.is_dir():
        return path, f"{revision}+{_fingerprint(path)}"
    try:
        folder = Path(DiffusionPipeline.download(source, revision=revision))
    except Exception as error:
        raise FileNotFoundError(
            f"diffusion model {source!r} (revision {revision!r}) is neither a local directory nor reachable on the "
            f"Hugging Face Hub: {error}. Name a directory written with save_pretrained (e.g. one from "
            f"`worldsmith models make-tiny`) or a Hub id this machine can download, e.g. stabilityai/sd-turbo."
        ) from error
    snapshot = re.fullmatch(r"[0-9a-f]{40}", folder.name)
    return folder, folder.name if snapshot else revision


def _fingerprint(folder: Path) -> str:
    """Identifies a local model's files: configs by content, weights by name, size and mtime
    (hashing gigabytes at start-up would cost seconds; a touched file only misses the cache)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(str(file.relative_to(folder)).encode())
        if file.suffix in {".json", ".txt", ".model"}:
            digest.update(file.read_bytes())
        else:
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]
