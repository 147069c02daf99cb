"""The convolutional coupled-oscillator RNN (CoRNN) for image segmentation.

Written from the equations of Jacobs, Budzinski, Muller, Ba & Keller, *Traveling
Waves Integrate Spatial Information Through Time* (CCN 2025, arXiv:2502.06034).

From the image, three small 3x3 convolutional encoders give, for every pixel and
hidden channel, a natural frequency ``omega >= 0`` and a damping ``alpha >= 0``
(ReLU outputs) and the initial position ``y0`` (tanh); the initial velocity is zero.
Then ``n_steps`` explicit steps of

    z <- z + dt * (tanh(W_y * y) - omega * y - alpha * z)
    y <- y + dt * z

where ``W_y`` is a 3x3 circularly padded convolution across hidden channels,
initialised to the discrete Laplacian on each channel's diagonal, so that the
untrained network is a damped wave equation whose local speed and damping are set by
the image. The image is not fed again: whatever reaches a pixel from elsewhere in the
image travels there as a wave. A readout over each pixel's time series of ``y`` and a
per-pixel MLP classify the pixel.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

from neurowave._validate import NeurowaveError

from .config import CoRNNConfig
from .readouts import PixelMLP, TimeReadout

__all__ = ["CoRNN", "laplacian_kernel", "oscillator_recurrence", "recurrence_backend"]


def laplacian_kernel(channels):
    """A ``(C, C, 3, 3)`` weight with the 5-point discrete Laplacian on the diagonal."""
    w = torch.zeros(channels, channels, 3, 3)
    lap = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    for c in range(channels):
        w[c, c] = lap
    return w


def _encoder(cin, cmid, cout, n_layers):
    """``n_layers`` 3x3 convolutions ``cin -> cmid -> ... -> cout`` with ReLUs between;
    the output activation (ReLU or tanh) is applied by :meth:`CoRNN.encode`."""
    if n_layers == 1:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1))
    layers = [nn.Conv2d(cin, cmid, 3, padding=1), nn.ReLU()]
    for _ in range(n_layers - 2):
        layers += [nn.Conv2d(cmid, cmid, 3, padding=1), nn.ReLU()]
    layers.append(nn.Conv2d(cmid, cout, 3, padding=1))
    return nn.Sequential(*layers)


def _init_omega_encoder(enc, how, bias):
    """Initialise the omega encoder in place (see :class:`CoRNNConfig` ``omega_init``)."""
    convs = [m for m in enc if isinstance(m, nn.Conv2d)]
    if how == "bias":
        nn.init.constant_(convs[-1].bias, bias)
    elif how == "dirac":
        for conv in convs:
            nn.init.dirac_(conv.weight)
            nn.init.zeros_(conv.bias)


# --------------------------------------------------------------------------------------
# The time loop. ``oscillator_recurrence`` is the one entry point; a fused kernel for
# another device (e.g. CUDA) slots in there with the same signature and semantics.
# --------------------------------------------------------------------------------------

# Below this many channels the direct (im2col + matrix product) convolution beats
# oneDNN's on the CPU by 2-3x (64 x 64 maps, batch 8, 2 threads: 110 us against
# 250-430 us for 2 channels); above it oneDNN wins. Measured with torch 2.13.
_DIRECT_CONV_MAX_CHANNELS = 4


def _conv(x, weight):
    """``F.conv2d(x, weight)`` without padding, by the faster CPU route for its size."""
    if (
        not x.is_cuda
        and weight.shape[0] <= _DIRECT_CONV_MAX_CHANNELS
        and not (torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad))
    ):
        k = tuple(weight.shape[-2:])
        return torch._C._nn.thnn_conv2d(x, weight, k, None, (1, 1), (0, 0))
    return F.conv2d(x, weight)


def _circular_conv(y, weight):
    """``weight`` (3x3, or any odd size) applied to ``y`` with circular padding."""
    p = weight.shape[-1] // 2
    return _conv(F.pad(y, (p, p, p, p), mode="circular"), weight)


def _run_forward(omega, alpha, y0, weight, dt, n_steps):
    """The explicit update without autograd; returns ``y`` at steps 1..T, ``(B, T, C, H, W)``.

    Written as the published update ``z + dt * (tanh(W * y) - omega * y - alpha * z)`` (same
    operations in the same order), in place into one preallocated output.
    """
    b, c, h, w = y0.shape
    out = y0.new_empty((b, n_steps, c, h, w))
    y = y0
    z = torch.zeros_like(y0)
    for t in range(n_steps):
        force = torch.tanh(_circular_conv(y, weight))
        force -= omega * y
        force -= alpha * z
        force *= dt
        z += force
        torch.add(y, dt * z, out=out[:, t])
        y = out[:, t]
    return out


class _Recurrence(torch.autograd.Function):
    """The oscillator recurrence with a recomputing backward pass.

    The forward pass keeps only its output ``y_1..y_T`` (which the readout needs anyway),
    not the ~5 intermediate tensors per step that autograd would store. The update is
    explicitly invertible: the velocity is ``z_t = (y_t - y_{t-1}) / dt``, and the
    coupling force ``tanh(W * y_{t-1})`` is recomputed, a chunk of steps at a time in one
    batched convolution. The adjoint then runs backwards in time,

        gy_t  += dL/dy_t (from the readout)
        gz_t  += dt * gy_t
        gs_t   = dt * gz_t * (1 - tanh^2(W * y_{t-1}))
        gy_{t-1} = gy_t - dt * omega * gz_t + W^T * gs_t
        gz_{t-1} = (1 - dt * alpha) * gz_t

    accumulating ``dL/domega = -dt sum_t y_{t-1} gz_t``, ``dL/dalpha = -dt sum_t z_{t-1} gz_t``
    and ``dL/dW`` (one batched weight gradient per chunk). Transient memory is a chunk of
    steps, not all of them.
    """

    chunk = 10
    chunk_maps = 80

    @staticmethod
    def forward(ctx, omega, alpha, y0, weight, dt, n_steps):
        out = _run_forward(omega, alpha, y0, weight, dt, n_steps)
        ctx.dt = dt
        ctx.save_for_backward(omega, alpha, y0, weight, out)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out):
        omega, alpha, y0, weight, out = ctx.saved_tensors
        dt = ctx.dt
        # the readout's gradient arrives time-fastest; each step's slice must be dense
        grad_out = grad_out.contiguous()
        b, n_steps, c, h, w = out.shape
        p = weight.shape[-1] // 2
        w_adj = weight.transpose(0, 1).flip(-2, -1)
        gy = torch.zeros_like(y0)
        gz = torch.zeros_like(y0)
        g_omega = torch.zeros_like(omega)
        g_alpha = torch.zeros_like(alpha)
        g_w = torch.zeros_like(weight)
        z_prev = torch.empty_like(y0)
        decay = 1.0 - dt * alpha
        minus_dt_omega = omega * (-dt)

        def y_prev(t):  # y_{t-1} of 0-based step t (which makes out[:, t])
            return out[:, t - 1] if t > 0 else y0

        # steps per batched recomputation: the direct convolution slows down per map
        # once a batch of maps outgrows the cache (about 80 maps of 64 x 64)
        chunk = max(1, min(_Recurrence.chunk, _Recurrence.chunk_maps // b))
        for stop in range(n_steps, 0, -chunk):
            start = max(stop - chunk, 0)
            k = stop - start
            # y_{t-1} for the chunk's steps, one circularly padded batch of B * k maps
            prev = (
                torch.cat([y0.unsqueeze(1), out[:, : stop - 1]], dim=1)
                if start == 0
                else out[:, start - 1 : stop - 1]
            )
            prev_pad = F.pad(prev.reshape(b * k, c, h, w), (p, p, p, p), mode="circular")
            gs_chunk = torch.tanh(_conv(prev_pad, weight))
            gs_chunk = gs_chunk.square_().neg_().add_(1.0).mul_(dt).view(b, k, c, h, w)
            for t in range(stop - 1, start - 1, -1):
                gy += grad_out[:, t]
                gz.add_(gy, alpha=dt)  # now dL/dz_t
                yp = y_prev(t)
                g_omega.addcmul_(yp, gz)
                if t > 0:
                    torch.sub(yp, y_prev(t - 1), out=z_prev)  # dt * z_{t-1}
                    g_alpha.addcmul_(z_prev, gz)
                gs = gs_chunk[:, t - start]
                gs *= gz  # dL/d(W * y_{t-1})
                gy.addcmul_(minus_dt_omega, gz)
                gy += _circular_conv(gs, w_adj)  # now dL/dy_{t-1}
                gz *= decay  # now dL/dz_{t-1}
            g_w += torch.nn.grad.conv2d_weight(
                prev_pad, weight.shape, gs_chunk.reshape(b * k, c, h, w)
            )
        g_omega *= -dt
        g_alpha.neg_()
        return g_omega, g_alpha, gy, g_w, None, None


_BACKENDS = ("auto", "plain", "triton")
_TRITON_MODULE = "neurowave.models._triton_cornn"


def _interpret_requested():
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


def recurrence_backend(*tensors):
    """Which implementation :func:`oscillator_recurrence` uses for these tensors.

    ``"triton"`` (whole time loop in one kernel per pass, :mod:`._triton_cornn`) when
    Triton is installed (``pip install neurowave[cuda]``) and the tensors are float32 on a
    CUDA device -- or on the CPU when Triton's interpreter is explicitly requested with
    ``TRITON_INTERPRET=1`` (for tests; it is slow); ``"plain"`` (PyTorch operations, the
    reference) otherwise. ``NEUROWAVE_RECURRENCE=plain`` or ``=triton`` overrides the
    automatic choice (``triton`` still needs Triton and a CUDA tensor or the interpreter).

    Examples
    --------
    >>> import torch
    >>> recurrence_backend(torch.zeros(1, 1, 4, 4))  # CPU, no interpreter requested
    'plain'
    """
    choice = os.environ.get("NEUROWAVE_RECURRENCE", "auto").strip().lower() or "auto"
    if choice not in _BACKENDS:
        raise NeurowaveError(
            f"NEUROWAVE_RECURRENCE must be one of {', '.join(_BACKENDS)}, "
            f"got {choice!r}; unset it for the automatic choice."
        )
    if choice == "plain":
        return "plain"
    on_cuda = all(t.is_cuda for t in tensors)
    usable = all(t.dtype == torch.float32 for t in tensors) and (
        on_cuda or (_interpret_requested() and not any(t.is_cuda for t in tensors))
    )
    have = _have_triton()
    if choice == "triton" and not (usable and have):
        raise NeurowaveError(
            "NEUROWAVE_RECURRENCE=triton needs Triton (pip install 'neurowave[cuda]') and "
            "float32 tensors on a CUDA device (or TRITON_INTERPRET=1 on the CPU); "
            "unset it to use the plain PyTorch path."
        )
    return "triton" if usable and have else "plain"


@functools.lru_cache(maxsize=1)
def _have_triton():
    return importlib.util.find_spec("triton") is not None


def _triton_module():
    """The Triton kernels, compiled for the GPU or (``TRITON_INTERPRET=1``) the interpreter."""
    mod = sys.modules.get(_TRITON_MODULE)
    if mod is None:
        return importlib.import_module(_TRITON_MODULE)
    if _interpret_requested() != mod.INTERPRETED:  # the request changed: recompile
        return importlib.reload(mod)
    return mod


def oscillator_recurrence(omega, alpha, y0, weight, *, dt, n_steps):
    """Integrate the coupled oscillators from ``y0`` (velocity 0); ``y`` at steps 1..T.

    ``n_steps`` explicit steps of ``z <- z + dt * (tanh(W * y) - omega * y - alpha * z)``,
    ``y <- y + dt * z``, where ``W * y`` is the circularly padded convolution with
    ``weight``. Under autograd the backward pass recomputes the states instead of storing
    them (see :class:`_Recurrence`), so memory grows with one tensor per step, not six.
    On a CUDA device with Triton installed, the whole time loop runs as one kernel per
    pass (:func:`recurrence_backend` says which path is taken).

    Parameters
    ----------
    omega, alpha, y0 : torch.Tensor, ``(B, C, H, W)``
    weight : torch.Tensor, ``(C, C, k, k)`` with odd ``k``
    dt : float
    n_steps : int

    Returns
    -------
    torch.Tensor, ``(B, T, C, H, W)``

    Examples
    --------
    >>> import torch
    >>> y0 = torch.zeros(1, 1, 5, 5); y0[0, 0, 2, 2] = 1.0
    >>> zero = torch.zeros_like(y0)
    >>> y = oscillator_recurrence(zero, zero, y0, laplacian_kernel(1), dt=0.1, n_steps=3)
    >>> tuple(y.shape)
    (1, 3, 1, 5, 5)
    >>> y[0, -1, 0, 2]  # the coupling has carried the pulse to its neighbours
    tensor([3.7672e-04, 4.4792e-02, 9.4005e-01, 4.4792e-02, 3.7672e-04])
    """
    n_steps = int(n_steps)
    dt = float(dt)
    small = weight.shape[-1] // 2 > min(y0.shape[-2:])  # a kernel wider than the image
    if not small and recurrence_backend(omega, alpha, y0, weight) == "triton":
        return _triton_module().recurrence(omega, alpha, y0, weight, dt=dt, n_steps=n_steps)
    if torch.is_grad_enabled() and any(t.requires_grad for t in (omega, alpha, y0, weight)):
        return _Recurrence.apply(omega, alpha, y0, weight, dt, n_steps)
    return _run_forward(omega, alpha, y0, weight, dt, n_steps)


class CoRNN(nn.Module):
    """Convolutional coupled-oscillator RNN with a time-series readout.

    Parameters
    ----------
    config : CoRNNConfig

    Examples
    --------
    >>> import torch
    >>> from neurowave.models import get_model
    >>> m = get_model("cornn", n_steps=10, mlp_hidden=(8,))
    >>> logits, hidden = m(torch.zeros(1, 3, 12, 12), return_hidden=True)
    >>> tuple(logits.shape), tuple(hidden.shape)
    ((1, 6, 12, 12), (1, 10, 2, 12, 12))
    """

    recurrent = True

    def __init__(self, config=None):
        super().__init__()
        self.config = config if config is not None else CoRNNConfig()
        c = self.config
        n_om, n_al, n_y0 = c.encoder_layers
        self.enc_omega = _encoder(c.in_channels, c.c_mid, c.hidden_channels, n_om)
        self.enc_alpha = _encoder(c.in_channels, c.c_mid, c.hidden_channels, n_al)
        self.enc_y0 = _encoder(c.in_channels, c.c_mid, c.hidden_channels, n_y0)
        self.W_y = nn.Conv2d(
            c.hidden_channels, c.hidden_channels, 3, padding=1, padding_mode="circular", bias=False
        )
        with torch.no_grad():
            self.W_y.weight.copy_(laplacian_kernel(c.hidden_channels))
            _init_omega_encoder(self.enc_omega, c.omega_init, c.omega_bias)
        self.readout = TimeReadout(c.readout, c.n_steps, bias=c.readout_bias)
        self.mlp = PixelMLP(c.hidden_channels * self.readout.n_features, c.mlp_hidden, c.n_classes)

    def encode(self, x):
        """``(omega, alpha, y0)`` from images ``x``, each ``(B, C_hidden, H, W)``."""
        omega = torch.relu(self.enc_omega(x))
        alpha = torch.relu(self.enc_alpha(x))
        y0 = torch.tanh(self.enc_y0(x))
        return omega, alpha, y0

    def integrate(self, omega, alpha, y0, *, n_steps=None):
        """Run the oscillators from ``y0`` (velocity 0); returns ``y`` at steps 1..T.

        Parameters
        ----------
        omega, alpha, y0 : torch.Tensor, ``(B, C_hidden, H, W)``
        n_steps : int | None
            Default: the configured ``n_steps``.

        Returns
        -------
        torch.Tensor, ``(B, T, C_hidden, H, W)``
        """
        n = self.config.n_steps if n_steps is None else int(n_steps)
        return oscillator_recurrence(
            omega, alpha, y0, self.W_y.weight, dt=self.config.dt, n_steps=n
        )

    def dynamics(self, x, *, n_steps=None):
        """Encode images and integrate; returns ``y`` over time ``(B, T, C, H, W)``.

        ``n_steps`` overrides the configured number of steps (e.g. to watch the waves
        for longer than the readout does).
        """
        return self.integrate(*self.encode(x), n_steps=n_steps)

    def forward(self, x, return_hidden=False):
        hidden = self.dynamics(x)
        # features and MLP channels-last (pixels as rows of one matrix product)
        logits = self.mlp.forward_last(self.readout.features_last(hidden))
        logits = logits.permute(0, 3, 1, 2)
        return (logits, hidden) if return_hidden else logits
