"""Shared shape arithmetic for convolution and pooling over 1-D and 2-D samples."""

from engine.registry import Shape, ShapeError, fmt

LAYOUT = {1: "[channels, length]", 2: "[channels, height, width]"}


def per_dim(value, dims: int) -> list[int]:
    return list(value) if isinstance(value, list) else [value] * dims


def check_rank(name: str, shape: Shape, dims: int) -> None:
    if len(shape) != dims + 1:
        hint = (
            f"add a Reshape to {LAYOUT[dims]} first"
            if len(shape) < dims + 1
            else f"use the {len(shape) - 1}-D version of the layer, or Flatten/Reshape first"
        )
        raise ShapeError(f"{name} needs a {LAYOUT[dims]} input, got {fmt(shape)}; {hint}")


def sliding_output(shape: Shape, dims: int, kernel, stride, padding) -> list[int]:
    """Output sizes of a window sliding over the spatial dims (PyTorch's floor rule)."""
    kernel, stride = per_dim(kernel, dims), per_dim(stride, dims)
    sizes = list(shape[1:])
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ShapeError('padding "same" needs stride 1; set stride to 1 or give padding as a number')
        return sizes
    padding = per_dim(padding, dims)
    out = []
    for size, k, s, pad in zip(sizes, kernel, stride, padding, strict=True):
        if k > size + 2 * pad:
            raise ShapeError(
                f"kernel {k} is larger than its input {size}"
                + (f" plus padding 2x{pad}" if pad else "")
                + "; use a smaller kernel_size or more padding"
            )
        out.append((size + 2 * pad - k) // s + 1)
    return out
