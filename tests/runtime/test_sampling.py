"""Seeded Gumbel sampling: the noise is finite at every vocabulary id, so a grammar-masked token never wins."""

from __future__ import annotations

import torch

from worldsmith.runtime.sampling import GREEDY, SeededNoise, gumbel_noise, noise_key

VOCAB = 262_144  # Gemma 3's vocabulary: at this size the old noise hit +inf about once in 64 steps


# (seed, token index) steps where the old noise (u from the top 24 bits, rounded in float32) was +inf somewhere
# in this vocabulary: 20 of the first 64 x 16 steps.
OLD_INFINITE_STEPS = [(1, 7), (13, 3), (13, 8), (14, 5), (18, 14), (22, 3), (27, 8), (29, 10), (30, 10), (32, 10),
                      (35, 14), (36, 15), (41, 8), (45, 15), (47, 1), (48, 7), (51, 13), (54, 7), (58, 8), (61, 5)]


def _keys() -> list[int]:
    """The steps known to have hit +inf, and 64 more across seeds and token indices."""
    steps = OLD_INFINITE_STEPS + [(seed, index) for seed in range(100, 116) for index in (0, 5, 50, 500)]
    return [noise_key(seed, index) for seed, index in steps]


def test_the_noise_is_finite_at_a_large_vocabulary():
    keys = _keys()
    for start in range(0, len(keys), 32):
        noise = gumbel_noise(torch.tensor(keys[start:start + 32], dtype=torch.int32), VOCAB)
        assert torch.isfinite(noise).all(), f"non-finite noise in keys {start}..{start + 31}"


def test_a_masked_token_never_wins():
    keys = _keys()
    generator = torch.Generator().manual_seed(0)
    noise = SeededNoise()
    for start in range(0, len(keys), 32):
        rows = torch.tensor(keys[start:start + 32], dtype=torch.int32)
        logits = torch.randn(len(rows), VOCAB, generator=generator)
        allowed = torch.zeros(len(rows), VOCAB, dtype=torch.bool)
        allowed[:, torch.randint(VOCAB, (8,), generator=generator)] = True  # a grammar allows a handful of tokens
        masked = logits.masked_fill(~allowed, float("-inf"))
        picked = noise(masked, rows).argmax(-1)
        assert allowed.gather(1, picked.unsqueeze(1)).all(), f"a masked token won in keys {start}..{start + 31}"


def test_the_uniforms_extremes_stay_inside_the_open_interval():
    # The hash's largest and smallest outputs are where rounding to 1.0 or 0.0 could happen.
    from worldsmith.runtime import sampling

    extremes = torch.tensor([0, 1, 2, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFF00, 0xFFFFFE00], dtype=torch.int64)
    uniform = sampling._uniform(extremes)
    assert ((uniform > 0) & (uniform < 1)).all()
    assert torch.isfinite(-torch.log(-torch.log(uniform))).all()


def test_greedy_rows_get_no_noise():
    logits = torch.randn(2, 1000)
    out = SeededNoise()(logits.clone(), torch.tensor([GREEDY, noise_key(3, 0)], dtype=torch.int32))
    assert torch.equal(out[0], logits[0]) and not torch.equal(out[1], logits[1])
