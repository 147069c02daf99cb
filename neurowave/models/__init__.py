"""Wave RNNs and baselines (PyTorch), tasks, training and hidden-state export.

The convolutional coupled-oscillator RNN (:class:`CoRNN`) of Jacobs et al. (2025)
segments images by letting waves travel within shapes; :func:`export_hidden` writes
its hidden states as a model export whose units are ordinary wave grids
(:func:`hidden_grid`), measured with :mod:`neurowave.waves` like any recording.

This package never imports the readers (:mod:`neurowave.io`) except the netCDF writer.
"""

from .cnn import LocalCNN
from .config import READOUTS, CNNConfig, ConvLSTMConfig, CoRNNConfig, UNetConfig
from .controls import CONTROLS, cut_coupling, untrained_like
from .convert import cornn_state_dict_from_published
from .convlstm import ConvLSTM
from .cornn import CoRNN, laplacian_kernel, oscillator_recurrence
from .diagnostics import (
    bounded_ratio,
    compute_oscillator_diagnostics,
    states_bounded,
    summarize_diagnostics,
)
from .export import default_steps, export_hidden, hidden_grid, trained_steps, write_export
from .metrics import (
    confusion_matrix,
    foreground_accuracy,
    foreground_iou,
    foreground_iou_paper,
    pixel_accuracy,
    segmentation_scores,
)
from .readouts import PixelMLP, TimeReadout
from .registry import MODELS, count_parameters, get_model, list_models
from .states import export_states, record_states
from .tasks import TASK_PRESETS, TASKS, get_task, list_tasks, task_from_spec
from .train import (
    default_pretrained,
    evaluate,
    list_pretrained,
    load_checkpoint,
    load_model,
    predict,
    resolve_device,
    train,
    train_seeds,
)
from .unet import UNet

__all__ = [
    "get_model",
    "list_models",
    "count_parameters",
    "MODELS",
    "READOUTS",
    "CoRNN",
    "ConvLSTM",
    "LocalCNN",
    "UNet",
    "CoRNNConfig",
    "ConvLSTMConfig",
    "CNNConfig",
    "UNetConfig",
    "TimeReadout",
    "PixelMLP",
    "laplacian_kernel",
    "oscillator_recurrence",
    "cornn_state_dict_from_published",
    "get_task",
    "list_tasks",
    "task_from_spec",
    "TASKS",
    "TASK_PRESETS",
    "confusion_matrix",
    "pixel_accuracy",
    "foreground_accuracy",
    "foreground_iou",
    "foreground_iou_paper",
    "segmentation_scores",
    "train",
    "train_seeds",
    "evaluate",
    "predict",
    "load_model",
    "load_checkpoint",
    "list_pretrained",
    "default_pretrained",
    "resolve_device",
    "export_hidden",
    "write_export",
    "hidden_grid",
    "default_steps",
    "trained_steps",
    "export_states",
    "record_states",
    "cut_coupling",
    "untrained_like",
    "CONTROLS",
    "compute_oscillator_diagnostics",
    "summarize_diagnostics",
    "bounded_ratio",
    "states_bounded",
]
