"""An offscreen OpenGL context for the 3D clips: EGL, no window, no display server.

On a machine without a GPU, EGL comes from Mesa and draws with its software rasteriser (llvmpipe);
on a worker with a GPU the same code gets the vendor's EGL device. Debian's libegl1 and
libgl1-mesa-dri provide the first (`make venv` installs them where they are missing).
"""

from __future__ import annotations

import functools
from typing import Any

from choreography.errors import MediaError

# What a person reading the error needs to do about it.
INSTALL_HINT = (
    "the 3D clips need an EGL context: install Debian's libegl1, libegl-mesa0 and libgl1-mesa-dri "
    "(`make venv` does) and the moderngl package (requirements.txt)"
)


class RenderUnavailable(MediaError):
    """This machine cannot create an offscreen OpenGL context."""


@functools.cache
def gl_context() -> Any:
    """The process's offscreen OpenGL 3.3+ context (created once; a moderngl.Context)."""
    try:
        import moderngl
    except ImportError as exc:
        raise RenderUnavailable(f"moderngl is not installed: {INSTALL_HINT}") from exc
    try:
        ctx = moderngl.create_standalone_context(backend="egl", require=330)
    except Exception as exc:  # glcontext raises bare Exceptions naming the missing library or call
        raise RenderUnavailable(f"cannot create an EGL context ({exc}): {INSTALL_HINT}") from exc
    return ctx


def egl_available() -> tuple[bool, str]:
    """Whether an EGL context can be created here, and why not (for tests that skip and for the benchmark)."""
    try:
        gl_context()
    except RenderUnavailable as exc:
        return False, str(exc)
    return True, ""


def renderer_name() -> str:
    """Which rasteriser draws: "llvmpipe (LLVM ...)" on Mesa's software path, the GPU's name otherwise."""
    return str(gl_context().info.get("GL_RENDERER", "unknown"))
