"""Attention for transformers' continuous batcher: each request attends to its own keys only.

With SDPA, the batcher packs a step's requests into one sequence and attends every query to the keys of every
request under a block-diagonal mask it rebuilds each step. For a decode step of B requests with L cached tokens each
that is B x (B * L) scores instead of B x L, plus a copy of the keys per query head (GQA): attention grows with the
square of the batch and outweighs the linear layers at 16 requests (bench/dialogue.py).

Registered as an attention implementation of its own, the batcher builds no mask and passes the packed sequence
with its boundaries (cu_seq_lens_q / cu_seq_lens_k). A decode step (one query token per request) gathers each
request's keys into a padded [B, kv_heads, L, dim] block and runs one SDPA call with a padding mask, grouping query
heads by key head so keys are never repeated. L is the request's own length rounded up to a multiple of BUCKET, and
requests of different L go in separate calls: a request's numbers then never depend on what else is in the batch.
A step with prefill chunks runs SDPA per request (a few steps per request). Calls from outside the batcher (plain
`model.generate`) go to transformers' SDPA unchanged, or, for softcapped attention, to an eager computation.

Sliding-window layers (Gemma 2 and 3, Mistral, Phi-3) are masked to their window: a query sees its own key and the
window - 1 before it. The batcher's sliding cache already hands over at most window - 1 past keys, so a decode is only
masked for safety; a prefill chunk longer than the window needs the mask. Attention logit softcapping (Gemma 2:
tanh(scores / cap) * cap) cannot go through SDPA, so softcapped layers compute scores, cap, mask and softmax (in
float32, as transformers' eager attention does) themselves.
With `read_keys_in_attention(cache)`, a decode step reads each request's keys from the cache once, into the padded
block, instead of the cache first packing them for the attention to copy again.
"""

from __future__ import annotations

import torch
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

NAME = "worldsmith_packed"  # no "sdpa" in it: transformers would then refuse models without SDPA support (Gemma 2)
CACHE_ROWS = "packed_attention_cache_rows"  # attention kwarg set by read_keys_in_attention
BUCKET = 64  # a decode's keys are padded to a multiple of this


def packed_attention_forward(module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                             attention_mask: torch.Tensor | None, dropout: float = 0.0, scaling: float | None = None,
                             **kwargs) -> tuple[torch.Tensor, None]:
    """query [1, heads, Q, dim]; key, value [1, kv_heads, K, dim]; request b owns queries cu_seq_lens_q[b]:[b+1] and
    keys cu_seq_lens_k[b]:[b+1], its queries being the last of its keys. Returns [1, Q, heads, dim]."""
    cu_seq_lens_q, cu_seq_lens_k = kwargs.get("cu_seq_lens_q"), kwargs.get("cu_seq_lens_k")
    softcap = kwargs.get("softcap")
    if not isinstance(cu_seq_lens_k, torch.Tensor) or not isinstance(cu_seq_lens_q, torch.Tensor):
        if softcap is not None:  # transformers' SDPA refuses softcapping
            return _eager(module, query, key, value, attention_mask, scaling, softcap), None
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    if scaling is None:
        scaling = query.shape[-1] ** -0.5
    shape = _Shape(scaling, kwargs.get("sliding_window"), softcap)
    if kwargs.get("max_length_q") == 1:
        rows = kwargs.get(CACHE_ROWS)
        return _decode(query, key, value, cu_seq_lens_k, shape, rows), None
    return _per_request(query, key, value, cu_seq_lens_q, cu_seq_lens_k, shape), None


class _Shape:
    """What a layer's attention does besides softmax(q k^T) v: its scale, sliding window and logit softcap."""

    def __init__(self, scaling: float, window: int | None, softcap: float | None):
        self.scaling, self.window, self.softcap = scaling, window, softcap


def _attend(queries, keys, values, allowed: torch.Tensor, shape: _Shape) -> torch.Tensor:
    """softmax(q k^T * scale [softcapped], where allowed) v; queries [..., Q, dim], keys [..., K, dim], allowed
    broadcasting to [..., Q, K]."""
    if shape.softcap is None:
        return torch.nn.functional.scaled_dot_product_attention(queries, keys, values, attn_mask=allowed,
                                                                scale=shape.scaling)
    scores = torch.matmul(queries, keys.transpose(-1, -2)) * shape.scaling
    scores = torch.tanh(scores / shape.softcap) * shape.softcap
    scores = scores.masked_fill(~allowed, float("-inf"))
    weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(queries.dtype)
    return torch.matmul(weights, values)


def _eager(module, query, key, value, attention_mask, scaling, softcap) -> torch.Tensor:
    """Softcapped attention outside the batcher, as transformers' eager attention computes it; [1, Q, heads, dim]."""
    key, value = (repeat_kv(states, module.num_key_value_groups) for states in (key, value))
    scores = torch.matmul(query, key.transpose(2, 3)) * (scaling if scaling is not None else query.shape[-1] ** -0.5)
    scores = torch.tanh(scores / softcap) * softcap
    if attention_mask is not None:
        mask = attention_mask[:, :, :, : key.shape[-2]]
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)
    return torch.matmul(weights, value).transpose(1, 2).contiguous()


def read_keys_in_attention(cache) -> None:
    """Let decode steps gather each request's keys from the batcher's cache once, straight into the padded layout.

    The cache's own update copies every request's keys and values into one packed tensor for the attention; the
    decode path would then copy them again. Wrapped, a decode step's update only writes the new keys and hands the
    attention the layer's whole cache with the rows to read (CACHE_ROWS); other steps update as before.
    """
    update = cache.update

    def write_then_defer_read(key_states, value_states, layer_idx, kwargs):
        allocator = cache.layer_to_allocator[layer_idx]
        read_index = kwargs["read_index"][allocator.index]
        # Sliding-window layers keep a ring buffer the cache reads in order itself; only full layers are deferred.
        if (allocator.layer_type != "full_attention" or kwargs.get("max_length_q") != 1
                or kwargs.get("block_table") is not None or read_index.numel() == 0):
            return update(key_states, value_states, layer_idx, kwargs)
        kwargs["cu_seq_lens_k"] = kwargs["cu_seq_lens_k"][allocator.layer_type].to(torch.int32)
        kwargs["max_length_k"] = kwargs["max_length_k"][allocator.layer_type]
        kwargs[CACHE_ROWS] = read_index
        new_keys, new_values = (states[0].transpose(0, 1) for states in (key_states, value_states))
        allocator.update(new_keys, new_values, layer_idx, read_index[:0], kwargs["write_index"][allocator.index])
        # The page views, flattened, are the token rows the read indices count in: [tokens, kv_heads, dim].
        return tuple(pages.flatten(0, 1).transpose(0, 1).unsqueeze(0)
                     for pages in allocator.get_cache_for_block_table(layer_idx))

    cache.update = write_then_defer_read


def _decode(query, key, value, cu_seq_lens_k, shape: _Shape, rows: torch.Tensor | None) -> torch.Tensor:
    """One query token per request: one SDPA call for each group of requests whose keys pad to the same width.

    key / value hold the requests' keys packed in order, or (with `rows`) the whole cache, `rows` giving the
    cache row of each packed key.
    """
    starts, lengths = cu_seq_lens_k[:-1].long(), cu_seq_lens_k.diff().long()
    tokens_first = query[0].transpose(0, 1)  # [B, heads, dim]
    widths = [_padded_width(length) for length in lengths.tolist()]
    if len(set(widths)) == 1:  # the usual step: one call, no regrouping
        return _attend_one_token(tokens_first, key, value, starts, lengths, widths[0], shape, rows).unsqueeze(0)
    output = torch.empty_like(tokens_first)
    for width in set(widths):
        members = torch.tensor([i for i, w in enumerate(widths) if w == width], device=query.device)
        output[members] = _attend_one_token(tokens_first[members], key, value, starts[members], lengths[members], width,
                                            shape, rows)
    return output.unsqueeze(0)


def _padded_width(length: int) -> int:
    """Keys are padded to a multiple of BUCKET that depends on the request's own length only: SDPA's CPU kernel splits
    the keys in blocks sized from their padded length, and rounding differs between splits. Padding each request to
    the batch's longest would make its numbers, and in bf16 sometimes its tokens, depend on what shares the batch."""
    return -(-length // BUCKET) * BUCKET


def _attend_one_token(queries, key, value, starts, lengths, width: int, shape: _Shape, rows) -> torch.Tensor:
    """queries [n, heads, dim], one token of each of n requests whose keys start at `starts`; returns [n, heads, dim]."""
    requests, heads, dim = queries.shape
    kv_heads = key.shape[1]
    offsets = torch.arange(width, device=key.device)
    valid = offsets < lengths.unsqueeze(1)  # past a request's end: padding, masked out
    if shape.window is not None:  # the token itself and the window - 1 keys before it
        valid &= offsets >= (lengths - shape.window).unsqueeze(1)
    index = (starts.unsqueeze(1) + torch.minimum(offsets, (lengths - 1).unsqueeze(1))).flatten()
    if rows is not None:
        index = rows.long()[index]

    def padded(states: torch.Tensor) -> torch.Tensor:  # [1, kv_heads, K, dim] -> [n, kv_heads, width, dim]
        # The cache's own layout is [K, kv_heads, dim]; rows of kv_heads * dim values gather as whole rows, far faster
        # on CPU than index_select over a 3-d tensor.
        rows_2d = states[0].transpose(0, 1).reshape(-1, kv_heads * dim)
        return rows_2d.index_select(0, index).view(requests, width, kv_heads, dim).transpose(1, 2)

    # Query heads g * group .. (g + 1) * group - 1 share key head g (as repeat_kv pairs them).
    grouped = queries.reshape(requests, kv_heads, heads // kv_heads, dim)
    output = _attend(grouped, padded(key), padded(value), valid[:, None, None, :], shape)
    return output.reshape(requests, heads, dim)


def _per_request(query, key, value, cu_seq_lens_q, cu_seq_lens_k, shape: _Shape) -> torch.Tensor:
    """Any mix of prefill chunks and decodes: causal attention request by request. A decode takes the decode path's
    computation, so its numbers do not depend on whether another request was prefilling in the same step."""
    heads, kv_heads = query.shape[1], key.shape[1]
    outputs = []
    bounds = zip(cu_seq_lens_q.tolist(), cu_seq_lens_q[1:].tolist(), cu_seq_lens_k.tolist(), cu_seq_lens_k[1:].tolist())
    for q_start, q_end, k_start, k_end in bounds:
        queries, keys = q_end - q_start, k_end - k_start
        if queries == 1:
            one = _attend_one_token(query[0, :, q_start:q_end].transpose(0, 1), key, value,
                                    torch.tensor([k_start], device=key.device), torch.tensor([keys], device=key.device),
                                    _padded_width(keys), shape, None)
            outputs.append(one.transpose(0, 1).unsqueeze(0))  # [1, heads, 1, dim]
            continue
        q = query[:, :, q_start:q_end]
        k = key[:, :, k_start:k_end].repeat_interleave(heads // kv_heads, dim=1)
        v = value[:, :, k_start:k_end].repeat_interleave(heads // kv_heads, dim=1)
        # Query i sits at key position keys - queries + i and sees every key up to it.
        positions, query_positions = torch.arange(keys, device=q.device), torch.arange(keys - queries, keys,
                                                                                        device=q.device)[:, None]
        allowed = positions <= query_positions
        if shape.window is not None:  # and, in a sliding layer, no further back than window - 1 keys
            allowed &= positions > query_positions - shape.window
        outputs.append(_attend(q, k, v, allowed, shape))
    return torch.cat(outputs, dim=2).transpose(1, 2)


AttentionInterface.register(NAME, packed_attention_forward)
AttentionMaskInterface.register(NAME, sdpa_mask)  # outside the batcher, masks are built as for SDPA
