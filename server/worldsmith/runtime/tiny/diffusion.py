"""A tiny Stable Diffusion pipeline (random UNet and text encoder, exact colour VAE), written offline."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
from diffusers.models.attention_processor import Attention
from diffusers.models.downsampling import Downsample2D
from diffusers.models.resnet import ResnetBlock2D
from diffusers.models.upsampling import Upsample2D
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

SEED = 0
MAX_TOKENS = 77
VAE_CHANNELS = 16
VAE_GROUPS = 4
# Pipeline latents are the pooled colours times this, the spread a random UNet's output has,
# so decoded images use the colour range without saturating.
LATENT_SCALE = 8.0
# The constant pair that steadies the VAE's final GroupNorm (see _colour_vae).
STEADY = 100.0


def make(directory: Path) -> None:
    """Write the pipeline to `directory` with `save_pretrained`; the same files every run.

    Sized so a 64x64, 4-step generation takes a few tens of milliseconds on a CPU, in the
    layout of Stable Diffusion 1.5: an 8x AutoencoderKL, a cross-attention UNet, a CLIP text
    encoder and byte-level BPE tokenizer, an Euler scheduler. The UNet and text encoder keep
    their random initialisation. A random VAE decodes to pixel noise whose edges never differ,
    which would hide seams and make img2img meaningless, so the VAE's weights are set in
    closed form to an exact colour autoencoder: encode = 8x8 box average and a colour
    rotation, decode = the inverse rotation and bilinear upsampling.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    tokenizer = _tokenizer()
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=MAX_TOKENS, projection_dim=32,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    ))
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32, attention_head_dim=8, norm_num_groups=8,
    )
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1, norm_num_groups=VAE_GROUPS,
        block_out_channels=(VAE_CHANNELS,) * 4, sample_size=64, scaling_factor=LATENT_SCALE,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
    )
    _colour_vae(vae)
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
        steps_offset=1, timestep_spacing="leading",
    )
    pipeline = StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipeline.save_pretrained(directory)


@torch.no_grad()
def _colour_vae(vae: AutoencoderKL) -> None:
    """Set the VAE's weights so encode and decode are exact linear colour maps.

    Every residual branch and attention output is zeroed, so blocks pass their input on;
    down- and upsamplers become 2x2 box averages and bilinear interpolation. The one
    non-linearity left on the main path, GroupNorm then SiLU before each `conv_out`, is made
    linear by giving each group four channels (a, -a, S, -S) with S a large constant: the
    group mean is exactly 0, its variance is almost exactly S^2/2, and silu(a) - silu(-a) = a.
    """
    for module in vae.modules():
        if isinstance(module, ResnetBlock2D):
            module.conv2.weight.zero_()
            module.conv2.bias.zero_()
            if module.conv_shortcut is not None:
                _centre(module.conv_shortcut, torch.eye(VAE_CHANNELS), 0.0)
        elif isinstance(module, Attention):
            module.to_out[0].weight.zero_()
            module.to_out[0].bias.zero_()
        elif isinstance(module, Downsample2D):
            module.conv.weight.zero_()
            module.conv.bias.zero_()
            for channel in range(VAE_CHANNELS):
                module.conv.weight[channel, channel, :2, :2] = 0.25
        elif isinstance(module, Upsample2D):
            blur = torch.tensor([1.0, 2.0, 1.0]) / 4
            module.conv.weight.zero_()
            module.conv.bias.zero_()
            for channel in range(VAE_CHANNELS):
                module.conv.weight[channel, channel] = torch.outer(blur, blur)
    # A random orthonormal colour rotation: latent = rotation @ rgb, rgb = rotation.T @ latent.
    rotation, _ = torch.linalg.qr(torch.randn(4, 3))
    signals = VAE_CHANNELS // 4

    # Encoder: rgb -> (a, -a, S, -S) per group -> latent mean (and a negligible variance).
    encoder = vae.encoder
    spread = torch.zeros(VAE_CHANNELS, 3)
    for k in range(3):
        spread[4 * k, k], spread[4 * k + 1, k] = 1.0, -1.0
    _centre(encoder.conv_in, spread, _steady_bias())
    _steady_norm(encoder.conv_norm_out)
    gather = torch.zeros(2 * 4, VAE_CHANNELS)
    gather[:4, 0:4 * 3:4] = rotation
    gather[:4, 1:4 * 3:4] = -rotation
    _centre(encoder.conv_out, gather, torch.cat([torch.zeros(4), torch.full((4,), -30.0)]))
    _centre(vae.quant_conv, torch.eye(8), 0.0)

    # Decoder: latent -> (a, -a, S, -S) per group -> rgb.
    decoder = vae.decoder
    _centre(vae.post_quant_conv, torch.eye(4), 0.0)
    spread = torch.zeros(VAE_CHANNELS, 4)
    for k in range(signals):
        spread[4 * k, k], spread[4 * k + 1, k] = 1.0, -1.0
    _centre(decoder.conv_in, spread, _steady_bias())
    _steady_norm(decoder.conv_norm_out)
    gather = torch.zeros(3, VAE_CHANNELS)
    gather[:, 0::4] = rotation.T
    gather[:, 1::4] = -rotation.T
    _centre(decoder.conv_out, gather, 0.0)


def _centre(conv: torch.nn.Conv2d, matrix: torch.Tensor, bias) -> None:
    """Make `conv` a per-pixel linear map: `matrix` on the centre tap, nothing elsewhere."""
    conv.weight.zero_()
    centre_y, centre_x = conv.weight.shape[2] // 2, conv.weight.shape[3] // 2
    conv.weight[:, :, centre_y, centre_x] = matrix
    conv.bias.copy_(torch.as_tensor(bias, dtype=conv.bias.dtype).expand_as(conv.bias))


def _steady_bias() -> torch.Tensor:
    return torch.tensor([0.0, 0.0, STEADY, -STEADY]).repeat(VAE_CHANNELS // 4)


def _steady_norm(norm: torch.nn.GroupNorm) -> None:
    # Undo the division by the group's standard deviation, S / sqrt(2), on the signal channels.
    norm.weight.copy_(torch.tensor([1.0, 1.0, 0.0, 0.0]).repeat(VAE_CHANNELS // 4) * STEADY / math.sqrt(2))
    norm.bias.zero_()


def _tokenizer() -> CLIPTokenizer:
    """A byte-level CLIP BPE tokenizer over single characters and a few merges, built locally."""
    characters = _byte_characters()
    merges = [("t", "h"), ("th", "e</w>"), ("s", "t"), ("o", "n"), ("e", "r"), ("r", "o")]
    tokens = ["<|startoftext|>", "<|endoftext|>"] + characters + [c + "</w>" for c in characters]
    tokens += ["".join(pair) for pair in merges]
    return CLIPTokenizer(vocab={token: i for i, token in enumerate(tokens)}, merges=merges, model_max_length=MAX_TOKENS)


def _byte_characters() -> list[str]:
    """GPT-2's printable stand-ins for the 256 byte values, the alphabet of byte-level BPE."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    characters, extra = [], 0
    for byte in range(256):
        if byte in printable:
            characters.append(chr(byte))
        else:
            characters.append(chr(256 + extra))
            extra += 1
    return characters
