"""The CoRNN time loop as Triton kernels: one kernel launch per pass, not ~10 per step.

The plain path (:func:`neurowave.models.cornn.oscillator_recurrence` without Triton)
launches about ten small kernels per time step forward and more backward, so on a GPU
a 100-step recurrence is bound by kernel launches. Here the whole time loop runs inside
one kernel, one program (thread block) per image: the program walks the steps, reading
the previous state's 3x3 neighbourhood (circular) from the output it has written, with
a block-wide barrier between steps (waves move one pixel per step, so every step needs
its neighbours' previous step and nothing more).

Three kernels:

``_fwd``
    ``z <- z + dt * (tanh(W * y) - omega * y - alpha * z)``, ``y <- y + dt * z``, the
    same operations in the same order as the plain path, writing ``y_1..y_T``.
``_bwd``
    The adjoint, backwards in time, recomputing ``tanh(W * y_{t-1})`` from the stored
    outputs (the update is explicitly invertible: ``dt * z_{t-1} = y_{t-1} - y_{t-2}``)
    instead of storing the ~5 intermediates per step that autograd would keep. It writes
    the coupling-force adjoint ``gs_t`` of every step (needed by its neighbours in the
    same step, and by ``_dw``) and accumulates ``dL/domega``, ``dL/dalpha``, ``dL/dy0``.
``_dw``
    ``dL/dW[co, ci, ky, kx] = sum_{b, t, p} gs_t[co](p) y_{t-1}[ci](p + k - r)``, one
    partial sum per (chunk of images x steps, channel pair), summed in PyTorch.

All arithmetic is float32. ``tanh`` is written with ``exp`` (Triton has no ``tanh`` in
its core language): ``sign(x) (1 - e) / (1 + e)``, ``e = exp(-2|x|)``, within ~1e-7 of
``torch.tanh`` in absolute terms.

The kernels run in Triton's interpreter on CPU tensors when ``TRITON_INTERPRET=1`` is
set while this module is imported (``tests/models/test_triton_cornn.py`` does this);
there a program runs as vectorised NumPy, one after another, so the barrier is trivially
honoured. They call no ``@triton.jit`` function of ``triton.language`` itself (no
``tl.zeros``, ``tl.sum``): those are compiled for the GPU or the interpreter once, when
Triton is first imported, so using them would tie interpretation to the environment at
that moment rather than at this module's import. On a GPU the barrier is ``bar.sync``, which orders the block's global-memory
writes before its later reads.
"""

from __future__ import annotations

import os

import torch
import triton
import triton.language as tl

__all__ = ["recurrence", "INTERPRETED"]

#: Whether this module's kernels were compiled for Triton's CPU interpreter (the
#: environment had ``TRITON_INTERPRET=1`` when it was imported).
INTERPRETED = os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


@triton.jit
def _tanh(x):
    e = tl.exp(-2.0 * tl.abs(x))
    t = (1.0 - e) / (1.0 + e)
    return tl.where(x < 0, -t, t)


@triton.jit
def _add(a, b):
    return a + b


@triton.jit
def _wrap(i, n):
    """``i mod n`` for ``-n <= i < 2n`` (neighbours of an in-range index), without ``%``."""
    i = tl.where(i < 0, i + n, i)
    return tl.where(i >= n, i - n, i)


@triton.jit
def _conv_tile(
    src,
    w_ptr,
    c_idx,
    c_mask,
    p_mask,
    h,
    w,
    C,
    H,
    W,
    C_PAD: tl.constexpr,
    BLOCK: tl.constexpr,
    K: tl.constexpr,
    ADJOINT: tl.constexpr,
):
    """``(W * src)`` (or ``W^T * src`` if ADJOINT) at pixels ``(h, w)`` for channels ``c_idx``.

    ``src`` points at one ``(C, H, W)`` map; ``c_idx`` is ``(C_PAD, 1)``, ``h``, ``w`` are
    ``(1, BLOCK)``. Circular padding: indices wrap around the image.
    """
    R: tl.constexpr = K // 2
    HW = H * W
    acc = tl.full((C_PAD, BLOCK), 0.0, tl.float32)
    for ky in tl.static_range(K):
        if ADJOINT:
            row = _wrap(h - (ky - R), H) * W
        else:
            row = _wrap(h + (ky - R), H) * W
        for kx in tl.static_range(K):
            if ADJOINT:
                off = row + _wrap(w - (kx - R), W)
            else:
                off = row + _wrap(w + (kx - R), W)
            for cj in range(C):
                if ADJOINT:  # (W^T g)[ci] = sum_co W[co, ci, k] g[co](p - k + r)
                    wv = tl.load(
                        w_ptr + cj * C * K * K + c_idx * K * K + ky * K + kx, mask=c_mask, other=0.0
                    )
                else:
                    wv = tl.load(
                        w_ptr + c_idx * C * K * K + cj * K * K + ky * K + kx, mask=c_mask, other=0.0
                    )
                v = tl.load(src + cj * HW + off, mask=p_mask, other=0.0)
                acc += wv * v
    return acc


@triton.jit
def _fwd(
    omega_ptr,
    alpha_ptr,
    y0_ptr,
    w_ptr,
    out_ptr,
    z_ptr,
    C,
    H,
    W,
    T,
    dt,
    C_PAD: tl.constexpr,
    BLOCK: tl.constexpr,
    K: tl.constexpr,
    WIDE: tl.constexpr,
):
    b = tl.program_id(0).to(tl.int64)
    if WIDE:  # 64-bit indices: the interpreter checks 32-bit arithmetic for overflow, slowly
        C = C.to(tl.int64)
        H = H.to(tl.int64)
        W = W.to(tl.int64)
        T = T.to(tl.int64)
    HW = H * W
    CHW = C * HW
    img = b * CHW
    seq = b * T * CHW
    c_idx = tl.arange(0, C_PAD)[:, None]
    c_mask = c_idx < C
    for t in range(T):
        if t == 0:
            prev = y0_ptr + img
        else:
            prev = out_ptr + seq + (t - 1) * CHW
        for start in range(0, HW, BLOCK):
            p = start + tl.arange(0, BLOCK)[None, :]
            p_mask = p < HW
            h = p // W
            w = p % W
            m = c_mask & p_mask
            idx = c_idx * HW + p
            s = _conv_tile(
                prev, w_ptr, c_idx, c_mask, p_mask, h, w, C, H, W, C_PAD, BLOCK, K, False
            )
            y = tl.load(prev + idx, mask=m, other=0.0)
            z = tl.load(z_ptr + img + idx, mask=m, other=0.0)
            om = tl.load(omega_ptr + img + idx, mask=m, other=0.0)
            al = tl.load(alpha_ptr + img + idx, mask=m, other=0.0)
            force = _tanh(s)
            force -= om * y
            force -= al * z
            z += force * dt
            tl.store(z_ptr + img + idx, z, mask=m)
            tl.store(out_ptr + seq + t * CHW + idx, y + dt * z, mask=m)
        tl.debug_barrier()


@triton.jit
def _bwd(
    grad_ptr,
    out_ptr,
    y0_ptr,
    omega_ptr,
    alpha_ptr,
    w_ptr,
    gs_ptr,
    gy_ptr,
    gz_ptr,
    gom_ptr,
    gal_ptr,
    C,
    H,
    W,
    T,
    dt,
    C_PAD: tl.constexpr,
    BLOCK: tl.constexpr,
    K: tl.constexpr,
    WIDE: tl.constexpr,
):
    b = tl.program_id(0).to(tl.int64)
    if WIDE:  # 64-bit indices: the interpreter checks 32-bit arithmetic for overflow, slowly
        C = C.to(tl.int64)
        H = H.to(tl.int64)
        W = W.to(tl.int64)
        T = T.to(tl.int64)
    HW = H * W
    CHW = C * HW
    img = b * CHW
    seq = b * T * CHW
    c_idx = tl.arange(0, C_PAD)[:, None]
    c_mask = c_idx < C
    for i in range(T):
        t = T - 1 - i
        if t == 0:
            prev = y0_ptr + img
        else:
            prev = out_ptr + seq + (t - 1) * CHW
        if t <= 1:
            prev2 = y0_ptr + img
        else:
            prev2 = out_ptr + seq + (t - 2) * CHW
        # phase 1: dL/dz_t, the coupling-force adjoint gs_t, omega/alpha sums, gy part
        for start in range(0, HW, BLOCK):
            p = start + tl.arange(0, BLOCK)[None, :]
            p_mask = p < HW
            h = p // W
            w = p % W
            m = c_mask & p_mask
            idx = c_idx * HW + p
            gy = tl.load(gy_ptr + img + idx, mask=m, other=0.0)
            gy += tl.load(grad_ptr + seq + t * CHW + idx, mask=m, other=0.0)
            gz = tl.load(gz_ptr + img + idx, mask=m, other=0.0)
            gz += dt * gy
            s = _conv_tile(
                prev, w_ptr, c_idx, c_mask, p_mask, h, w, C, H, W, C_PAD, BLOCK, K, False
            )
            th = _tanh(s)
            gs = (1.0 - th * th) * dt * gz
            tl.store(gs_ptr + seq + t * CHW + idx, gs, mask=m)
            yp = tl.load(prev + idx, mask=m, other=0.0)
            gom = tl.load(gom_ptr + img + idx, mask=m, other=0.0)
            tl.store(gom_ptr + img + idx, gom + yp * gz, mask=m)
            if t > 0:
                zp = yp - tl.load(prev2 + idx, mask=m, other=0.0)  # dt * z_{t-1}
                gal = tl.load(gal_ptr + img + idx, mask=m, other=0.0)
                tl.store(gal_ptr + img + idx, gal + zp * gz, mask=m)
            om = tl.load(omega_ptr + img + idx, mask=m, other=0.0)
            al = tl.load(alpha_ptr + img + idx, mask=m, other=0.0)
            tl.store(gy_ptr + img + idx, gy - dt * om * gz, mask=m)
            tl.store(gz_ptr + img + idx, gz * (1.0 - dt * al), mask=m)
        tl.debug_barrier()
        # phase 2: gy += W^T * gs_t (needs the neighbours' gs_t of phase 1)
        for start in range(0, HW, BLOCK):
            p = start + tl.arange(0, BLOCK)[None, :]
            p_mask = p < HW
            h = p // W
            w = p % W
            m = c_mask & p_mask
            idx = c_idx * HW + p
            g = _conv_tile(
                gs_ptr + seq + t * CHW,
                w_ptr,
                c_idx,
                c_mask,
                p_mask,
                h,
                w,
                C,
                H,
                W,
                C_PAD,
                BLOCK,
                K,
                True,
            )
            gy = tl.load(gy_ptr + img + idx, mask=m, other=0.0)
            tl.store(gy_ptr + img + idx, gy + g, mask=m)
        tl.debug_barrier()


@triton.jit
def _dw(
    gs_ptr,
    out_ptr,
    y0_ptr,
    part_ptr,
    C,
    H,
    W,
    T,
    n_maps,
    per_prog,
    KK_PAD: tl.constexpr,
    BLOCK: tl.constexpr,
    K: tl.constexpr,
    WIDE: tl.constexpr,
):
    chunk = tl.program_id(0)
    if WIDE:
        C = C.to(tl.int64)
        H = H.to(tl.int64)
        W = W.to(tl.int64)
        T = T.to(tl.int64)
        chunk = chunk.to(tl.int64)
    pair = tl.program_id(1)
    co = pair // C
    ci = pair % C
    R: tl.constexpr = K // 2
    HW = H * W
    CHW = C * HW
    k = tl.arange(0, KK_PAD)[:, None]
    k_mask = k < K * K
    dy = k // K - R
    dx = k % K - R
    acc = tl.full((KK_PAD, BLOCK), 0.0, tl.float32)
    first = chunk * per_prog
    for j in range(per_prog):
        mp = first + j
        if mp < n_maps:
            b = (mp // T).to(tl.int64)
            t = mp % T
            if t == 0:
                prev = y0_ptr + b * CHW
            else:
                prev = out_ptr + b * T * CHW + (t - 1) * CHW
            g_base = gs_ptr + b * T * CHW + t * CHW + co * HW
            for start in range(0, HW, BLOCK):
                p = start + tl.arange(0, BLOCK)[None, :]
                p_mask = p < HW
                h = p // W
                w = p % W
                g = tl.load(g_base + p, mask=p_mask, other=0.0)
                off = _wrap(h + dy, H) * W + _wrap(w + dx, W)
                v = tl.load(prev + ci * HW + off, mask=k_mask & p_mask, other=0.0)
                acc += g * v
    tot = tl.reduce(acc, 1, _add)
    kk = tl.arange(0, KK_PAD)
    tl.store(part_ptr + (chunk * C * C + pair) * (K * K) + kk, tot, mask=kk < K * K)


def _next_pow2(n):
    return 1 << max(int(n) - 1, 0).bit_length()


#: Elements of one (channels x pixels) tile: 8 per thread with 8 warps. Compiled for
#: sm_90 by Triton 3.9 at C = 2 (ptxas -v): forward 80 registers (12 bytes spilled),
#: backward 203 registers, no spills; with 4096 the backward kernel spilled at 255.
TILE = 2048


def _tiles(c, hw):
    """``(C_PAD, BLOCK)``: channels padded to a power of 2, pixels per tile."""
    c_pad = _next_pow2(c)
    block = max(16, min(_next_pow2(hw), max(16, TILE // c_pad)))
    return c_pad, block


def _forward(omega, alpha, y0, weight, dt, n_steps):
    b, c, h, w = y0.shape
    out = torch.empty((b, n_steps, c, h, w), dtype=y0.dtype, device=y0.device)
    if out.numel() == 0:
        return out
    z = torch.zeros_like(y0)
    c_pad, block = _tiles(c, h * w)
    _fwd[(b,)](
        omega,
        alpha,
        y0,
        weight,
        out,
        z,
        c,
        h,
        w,
        n_steps,
        dt,
        C_PAD=c_pad,
        BLOCK=block,
        K=weight.shape[-1],
        WIDE=INTERPRETED,
        num_warps=8,
    )
    return out


def _backward(grad, out, y0, omega, alpha, weight, dt):
    b, n_steps, c, h, w = out.shape
    k = weight.shape[-1]
    if out.numel() == 0:
        z = torch.zeros_like(y0)
        return z, z.clone(), z.clone(), torch.zeros_like(weight)
    gs = torch.empty_like(out)
    gy = torch.zeros_like(y0)
    gz = torch.zeros_like(y0)
    gom = torch.zeros_like(y0)
    gal = torch.zeros_like(y0)
    c_pad, block = _tiles(c, h * w)
    _bwd[(b,)](
        grad,
        out,
        y0,
        omega,
        alpha,
        weight,
        gs,
        gy,
        gz,
        gom,
        gal,
        c,
        h,
        w,
        n_steps,
        dt,
        C_PAD=c_pad,
        BLOCK=block,
        K=k,
        WIDE=INTERPRETED,
        num_warps=8,
    )
    n_maps = b * n_steps
    n_prog = max(1, min(n_maps, 512 // (c * c) if c * c < 512 else 1))
    per_prog = -(-n_maps // n_prog)
    n_prog = -(-n_maps // per_prog)
    part = torch.empty((n_prog, c, c, k, k), dtype=torch.float32, device=y0.device)
    kk_pad = _next_pow2(k * k)
    blk = max(16, min(_next_pow2(h * w), 4096 // kk_pad))
    _dw[(n_prog, c * c)](
        gs,
        out,
        y0,
        part,
        c,
        h,
        w,
        n_steps,
        n_maps,
        per_prog,
        KK_PAD=kk_pad,
        BLOCK=blk,
        K=k,
        WIDE=INTERPRETED,
        num_warps=4,
    )
    g_w = part.sum(0)
    return gom.mul_(-dt), gal.neg_(), gy, g_w


class _TritonRecurrence(torch.autograd.Function):
    """Forward and adjoint of the oscillator recurrence as whole-time-loop Triton kernels."""

    @staticmethod
    def forward(ctx, omega, alpha, y0, weight, dt, n_steps):
        out = _forward(omega, alpha, y0, weight, dt, n_steps)
        ctx.dt = dt
        ctx.save_for_backward(omega, alpha, y0, weight, out)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out):
        omega, alpha, y0, weight, out = ctx.saved_tensors
        with _on(y0.device):
            g_om, g_al, g_y0, g_w = _backward(
                grad_out.contiguous(), out, y0, omega, alpha, weight, ctx.dt
            )
        return g_om, g_al, g_y0, g_w.to(weight.dtype), None, None


def recurrence(omega, alpha, y0, weight, *, dt, n_steps):
    """:func:`~neurowave.models.cornn.oscillator_recurrence` through the Triton kernels.

    Inputs are made contiguous float32; the output is float32 ``(B, T, C, H, W)``.
    """
    omega, alpha, y0, weight = (t.contiguous().float() for t in (omega, alpha, y0, weight))
    grad = torch.is_grad_enabled() and any(t.requires_grad for t in (omega, alpha, y0, weight))
    with _on(y0.device):
        if grad:
            return _TritonRecurrence.apply(omega, alpha, y0, weight, float(dt), int(n_steps))
        return _forward(omega, alpha, y0, weight, float(dt), int(n_steps))


def _on(device):
    """Launch on the tensors' GPU (Triton launches on the current device)."""
    import contextlib

    return torch.cuda.device(device) if device.type == "cuda" else contextlib.nullcontext()
