"""``bibun.nn.functional``: PyTorch's ``torch.nn.functional`` names (docs/nn.md). The ops are
declared by family in this package's private modules: activations, layers and
normalizations, losses, convolution and pooling."""

from __future__ import annotations

from bibun.nn._activation import *  # noqa: F403
from bibun.nn._activation import __all__ as _activation_all
from bibun.nn._activation_extra import *  # noqa: F403
from bibun.nn._activation_extra import __all__ as _activation_extra_all
from bibun.nn._conv import *  # noqa: F403
from bibun.nn._conv import __all__ as _conv_all
from bibun.nn._layers import *  # noqa: F403
from bibun.nn._layers import __all__ as _layers_all
from bibun.nn._loss import *  # noqa: F403
from bibun.nn._loss import __all__ as _loss_all
from bibun.nn._loss_extra import *  # noqa: F403
from bibun.nn._loss_extra import __all__ as _loss_extra_all
from bibun.nn._pool_extra import *  # noqa: F403
from bibun.nn._pool_extra import __all__ as _pool_extra_all

__all__ = [*_activation_all, *_conv_all, *_layers_all, *_loss_all]
__all__ += [*_activation_extra_all, *_loss_extra_all, *_pool_extra_all]
