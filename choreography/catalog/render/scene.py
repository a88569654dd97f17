"""The 3D scene of a demo clip, drawn offscreen with OpenGL: two bodies on a studio floor, then the text.

Per frame, on the GL device (Mesa's llvmpipe without a GPU, where every full-screen pass costs
milliseconds, so there are as few as possible):
  1. the floor (boards, metre lines, fading into the backdrop), drawn once per camera and copied
     while the camera stands still, and only as far as its fade ends;
  2. contact shadows: every body part's footprint on the floor, softer and fainter the higher it is;
  3. the bodies: instanced tapered capsules (bodies.py) under a key, a fill and a rim light, their
     hidden back faces culled;
  4. one readback of the picture.
Then on the CPU, per twin: the world as it is or flipped left-right for the mirrored twin, then the
floor-pattern inset and the text on top (hud.py), so the text never reads backwards. A clip does this
in yuv420p, straight into the encoder's frames (yuv.py); `picture` does it in RGBA with Pillow.

A mirrored twin flips the drawn world, which is exactly the world mirrored (x -> -x) seen by the
mirrored camera under mirrored lights: one world drawn per frame makes both twins.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from choreography.catalog.render.bodies import PRIMITIVE_FLOATS, body_primitives
from choreography.catalog.render.framing import Camera, still_camera
from choreography.catalog.render.gl import gl_context

# The floor: its colour, its lines, and where it fades into the studio's backdrop.
BACKDROP = (0.9, 0.89, 0.87)  # sRGB

_CAPSULE_VERTEX = """
#version 330
in vec3 in_dir;
in float in_end;
in vec3 i_a;
in vec3 i_b;
in vec4 i_shape;
in vec3 i_colour;
uniform mat4 u_view_proj;
out vec3 v_normal;
out vec3 v_position;
out vec3 v_colour;
void main() {
    vec3 axis = i_b - i_a;
    float len = length(axis);
    vec3 u = len > 1e-5 ? axis / len : vec3(0.0, 1.0, 0.0);
    vec3 helper = abs(u.y) < 0.9 ? vec3(0.0, 1.0, 0.0) : vec3(1.0, 0.0, 0.0);
    vec3 v = normalize(cross(helper, u));
    vec3 w = cross(u, v);
    float radius = mix(i_shape.x, i_shape.y, in_end);
    float flatness = mix(i_shape.z, i_shape.w, in_end);
    vec3 centre = mix(i_a, i_b, in_end);
    vec3 position = centre + radius * (v * in_dir.x + w * in_dir.z) + u * (radius * flatness * in_dir.y);
    // A tapered part's side leans; a flattened cap faces along the axis.
    float slope = len > 1e-5 ? (i_shape.x - i_shape.y) / len : 0.0;
    vec3 normal = v * in_dir.x + w * in_dir.z + u * (in_dir.y / max(flatness, 0.05) + slope * (1.0 - abs(in_dir.y)));
    v_normal = normalize(normal);
    v_position = position;
    v_colour = i_colour;
    gl_Position = u_view_proj * vec4(position, 1.0);
}
"""

_CAPSULE_FRAGMENT = """
#version 330
in vec3 v_normal;
in vec3 v_position;
in vec3 v_colour;
uniform vec3 u_eye;
out vec4 f_colour;
const vec3 KEY_DIR = normalize(vec3(-0.55, 0.75, 0.6));
const vec3 KEY = vec3(1.0, 0.93, 0.84) * 2.1;
const vec3 FILL_DIR = normalize(vec3(0.8, 0.25, 0.45));
const vec3 FILL = vec3(0.55, 0.62, 0.75) * 0.75;
const vec3 RIM_DIR = normalize(vec3(0.2, 0.5, -1.0));
const vec3 SKY = vec3(0.42, 0.44, 0.5);
const vec3 GROUND = vec3(0.3, 0.25, 0.2);
void main() {
    vec3 n = normalize(v_normal);
    vec3 view = normalize(u_eye - v_position);
    float facing = dot(n, view);
    // Edge smoothing without multisampling: where the surface turns away (the silhouette), the
    // last pixel fades into what is behind it.
    float coverage = clamp(abs(facing) / max(fwidth(facing) * 1.5, 1e-4), 0.0, 1.0);
    if (facing < 0.0) n = -n;  // the inside of a cone seen through its open hem
    float key = max(dot(n, KEY_DIR), 0.0);
    // Wrapped fill: soft, reaches round the form.
    float fill = max((dot(n, FILL_DIR) + 0.35) / 1.35, 0.0);
    vec3 ambient = mix(GROUND, SKY, 0.5 + 0.5 * n.y);
    // Lower parts near the floor get less of the room's light.
    float occlusion = mix(0.55, 1.0, smoothstep(0.0, 0.45, v_position.y));
    vec3 light = key * KEY + fill * FILL + ambient * occlusion;
    vec3 half_vector = normalize(KEY_DIR + view);
    // Powers by multiplying (x^28 = x^16 x^8 x^4, x^3): a software rasteriser's pow is exp2(log2).
    float s1 = max(dot(n, half_vector), 0.0);
    float s4 = s1 * s1;
    s4 *= s4;
    float s8 = s4 * s4;
    float specular = s8 * s8 * s8 * s4 * 0.18;
    float edge = 1.0 - max(dot(n, view), 0.0);
    float rim = edge * edge * edge * max(dot(n, RIM_DIR) + 0.3, 0.0) * 0.35;
    vec3 colour = v_colour * light + vec3(specular + rim);
    // Filmic-ish shoulder, then sRGB.
    colour = colour / (1.0 + 0.25 * colour);
    f_colour = vec4(pow(clamp(colour, 0.0, 1.0), vec3(1.0 / 2.2)), coverage);
}
"""

# Contact shadows: each body part's floor footprint, wider and fainter the higher it is, drawn over the
# floor with multiplying blend (overlapping parts darken a little more, like ambient occlusion).
_SHADOW_VERTEX = """
#version 330
in vec2 in_corner;
in vec3 i_a;
in vec3 i_b;
in vec4 i_shape;
uniform mat4 u_view_proj;
out vec2 v_floor;
flat out vec3 v_a;
flat out vec3 v_b;
flat out float v_radius;
void main() {
    float radius = max(i_shape.x, i_shape.y);
    float height = max(min(i_a.y, i_b.y) - radius, 0.0);
    // Parts high above the floor cast next to nothing: no quad for them.
    float reach = height > 0.9 ? 0.0 : 2.2 * (radius * 0.9 + 0.03 + 0.3 * height);
    vec2 low = min(i_a.xz, i_b.xz) - reach;
    vec2 high = max(i_a.xz, i_b.xz) + reach;
    vec2 floor_point = mix(low, high, in_corner);
    v_floor = floor_point;
    v_a = i_a;
    v_b = i_b;
    v_radius = radius;
    gl_Position = u_view_proj * vec4(floor_point.x, 0.0, floor_point.y, 1.0);
}
"""

_SHADOW_FRAGMENT = """
#version 330
in vec2 v_floor;
flat in vec3 v_a;
flat in vec3 v_b;
flat in float v_radius;
out vec4 f_shade;
void main() {
    vec2 segment = v_b.xz - v_a.xz;
    float along = clamp(dot(v_floor - v_a.xz, segment) / max(dot(segment, segment), 1e-6), 0.0, 1.0);
    float height = max(mix(v_a.y, v_b.y, along) - v_radius, 0.0);
    float distance = length(v_floor - (v_a.xz + segment * along));
    float spread = v_radius * 0.9 + 0.03 + 0.3 * height;
    float strength = min(0.32, 0.3 * exp(-2.5 * height) * (v_radius / 0.08));
    f_shade = vec4(0.0, 0.0, 0.0, strength * exp(-(distance * distance) / (spread * spread)));
}
"""

_FLOOR_VERTEX = """
#version 330
in vec2 in_floor;
uniform mat4 u_view_proj;
uniform vec3 u_eye;
out vec3 v_position;
// Where the fragment shader's fade into the backdrop ends: the floor further from the eye is the
// backdrop (the colour it is cleared to), so only the square around the eye that holds the rest is drawn.
const float FADE_END_M = 15.0;
void main() {
    v_position = vec3(u_eye.x + in_floor.x * FADE_END_M, 0.0, u_eye.z + in_floor.y * FADE_END_M);
    gl_Position = u_view_proj * vec4(v_position, 1.0);
}
"""

# Colours here are already sRGB-encoded: the floor is flat-lit, so no per-pixel gamma is needed.
_FLOOR_FRAGMENT = """
#version 330
in vec3 v_position;
uniform vec3 u_eye;
uniform vec3 u_backdrop;
out vec4 f_colour;
// How much of a line of `width` (metres) covers this pixel, `distance` from the line's middle; both
// axes at once, with one derivative for the metre grid and the room's centre lines.
vec2 lines(vec2 distance, float width, vec2 pixel) {
    return 1.0 - smoothstep(vec2(width * 0.5), width * 0.5 + pixel, distance);
}
void main() {
    vec2 p = v_position.xz;
    // A mid-grey studio floor in wide boards, each a little different: darker than skin and lighter
    // than the leader's trousers, so both dancers' legs and shoes stand out against it.
    float board = floor(p.y / 0.25);
    float grain = fract(sin(board * 12.9898) * 43758.5453);
    vec3 colour = mix(vec3(0.6, 0.59, 0.6), vec3(0.63, 0.62, 0.63), grain);
    // Reference lines: a metre grid, the room's centre lines (x = 0, z = 0) a little stronger; quiet,
    // so a line running under the couple does not cut through a body.
    vec2 pixel = fwidth(p);
    vec2 grid = lines(abs(fract(p + 0.5) - 0.5), 0.014, pixel);
    vec2 centre = lines(abs(p), 0.03, pixel);
    colour = mix(colour, vec3(0.85, 0.85, 0.86), max(0.45 * max(grid.x, grid.y), 0.7 * max(centre.x, centre.y)));
    // The floor fades into the backdrop with distance: a seamless studio.
    float fade = smoothstep(6.0, 15.0, length(u_eye.xz - p));
    f_colour = vec4(mix(colour, u_backdrop, fade), 1.0);
}
"""


def _capsule_mesh(segments: int = 12, rings: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A unit capsule: per vertex a direction on the unit sphere (y along the axis) and which end it
    belongs to; the two equators are joined by the side. Returns (vertices (n, 4), triangle indices)."""
    rows = [(0.0, latitude) for latitude in np.linspace(-math.pi / 2, 0.0, rings + 1)]
    rows += [(1.0, latitude) for latitude in np.linspace(0.0, math.pi / 2, rings + 1)]
    vertices = []
    for end, latitude in rows:
        for step in range(segments + 1):
            longitude = 2 * math.pi * step / segments
            ring = math.cos(latitude)
            vertices.append((ring * math.cos(longitude), math.sin(latitude), ring * math.sin(longitude), end))
    indices = []
    stride = segments + 1
    for row in range(len(rows) - 1):
        for step in range(segments):
            a, b = row * stride + step, row * stride + step + 1
            indices += [a, a + stride, b, b, a + stride, b + stride]
    return np.asarray(vertices, dtype=np.float32), np.asarray(indices, dtype=np.int32)


class Scene:
    """Draws frames of the couple offscreen.

    `draw(...)` makes one picture. A clip uses the steps: `draw_world` once per frame (the 3D part, on
    the GL device), then `picture(mirrored=...)` for each twin (flip, inset and text, on the CPU with
    Pillow: cheaper than another full-screen pass on a software rasteriser).
    """

    def __init__(self, width: int = 1280, height: int = 720, *, max_primitives: int = 96) -> None:
        from PIL import Image

        self.width, self.height = width, height
        ctx = self.ctx = gl_context()
        self._max_primitives = max_primitives
        self._capsule_program = ctx.program(vertex_shader=_CAPSULE_VERTEX, fragment_shader=_CAPSULE_FRAGMENT)
        self._shadow_program = ctx.program(vertex_shader=_SHADOW_VERTEX, fragment_shader=_SHADOW_FRAGMENT)
        self._floor_program = ctx.program(vertex_shader=_FLOOR_VERTEX, fragment_shader=_FLOOR_FRAGMENT)

        vertices, indices = _capsule_mesh()
        self._instances = ctx.buffer(reserve=max_primitives * PRIMITIVE_FLOATS * 4, dynamic=True)
        self._capsules = ctx.vertex_array(
            self._capsule_program,
            [
                (ctx.buffer(vertices.tobytes()), "3f 1f", "in_dir", "in_end"),
                (self._instances, "3f 3f 4f 3f/i", "i_a", "i_b", "i_shape", "i_colour"),
            ],
            index_buffer=ctx.buffer(indices.tobytes()),
        )
        corners = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=np.float32)
        self._shadows = ctx.vertex_array(
            self._shadow_program,
            [
                (ctx.buffer(corners.tobytes()), "2f", "in_corner"),
                (self._instances, "3f 3f 4f 12x/i", "i_a", "i_b", "i_shape"),
            ],
        )
        floor = np.array([[-1, -1], [1, -1], [-1, 1], [1, 1]], dtype=np.float32)  # scaled round the eye
        self._floor = ctx.vertex_array(self._floor_program, [(ctx.buffer(floor.tobytes()), "2f", "in_floor")])

        size = (width, height)
        # A texture, not a renderbuffer: the floor's pixels can be written into it straight from memory.
        self._world_colour = ctx.texture(size, 4)
        self._world_fbo = ctx.framebuffer(
            color_attachments=[self._world_colour], depth_attachment=ctx.depth_renderbuffer(size)
        )
        # The floor under a camera that has not moved is drawn once, kept in memory and written in under
        # the bodies: on a software rasteriser, cheaper than drawing or copying it on the device.
        self._floor_pixels: bytes | None = None
        self._floor_camera: Camera | None = None
        self._last_camera: Camera | None = None
        self._world = bytearray(width * height * 4)
        self._world_image = Image.frombuffer("RGBA", size, self._world, "raw", "RGBA", 0, 1)
        self._layers: list[Any] = []
        self.cull_back_faces = True  # off only to check that culling hides nothing (tests/test_scene.py)

    # The 3D part -------------------------------------------------------------------------
    def draw_world(self, primitives: np.ndarray, camera: Camera, *, into: Any = None) -> None:
        """Draw the floor, the contact shadows and the bodies (`primitives`: (n, PRIMITIVE_FLOATS), all
        dancers together, see bodies.body_primitives) as `camera` sees them, and read the picture back:
        for `picture`, or straight `into` a writable buffer of width x height RGBA pixels (an encoder's
        frame), where `picture` then shows an older world."""
        import moderngl

        ctx = self.ctx
        primitives = np.ascontiguousarray(primitives[: self._max_primitives], dtype=np.float32)
        self._instances.write(primitives.tobytes())
        # Upside down, so the rows come back top first (GL reads from the bottom).
        view_projection = (np.diag([1.0, -1.0, 1.0, 1.0]) @ camera.view_projection()).T.astype("f4").tobytes()
        eye = tuple(float(v) for v in camera.eye)

        ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE | moderngl.BLEND)
        self._world_fbo.use()
        # One clear per frame (each is a pass over the picture): the kept floor overwrites the colour.
        if camera == self._floor_camera:
            self._world_fbo.clear(depth=1.0)
            self._world_colour.write(self._floor_pixels)
        else:
            self._world_fbo.clear(*BACKDROP, 1.0, depth=1.0)
            self._floor_program["u_view_proj"].write(view_projection)
            self._floor_program["u_eye"].value = eye
            self._floor_program["u_backdrop"].value = BACKDROP
            self._floor.render(moderngl.TRIANGLE_STRIP)
            if camera == self._last_camera:  # a camera standing still: keep its floor for the frames to come
                self._floor_pixels = self._world_fbo.read(components=4, alignment=1)
                self._floor_camera = camera
        self._last_camera = camera
        ctx.enable(moderngl.BLEND)
        ctx.blend_func = moderngl.ZERO, moderngl.ONE_MINUS_SRC_ALPHA
        self._shadow_program["u_view_proj"].write(view_projection)
        self._shadows.render(moderngl.TRIANGLE_STRIP, instances=len(primitives))
        ctx.disable(moderngl.BLEND)
        # Every capsule is closed (a flattened end is a disc), so its back faces are always hidden: culled,
        # they cost no rasterising. Its outside winds counter-clockwise on screen (GL's default front): the
        # vertex shader's basis (v, u, w) is left-handed and the picture is drawn upside down, two
        # mirrorings that cancel (tests/test_scene.py checks the picture is the same without culling).
        ctx.enable(moderngl.DEPTH_TEST | (moderngl.CULL_FACE if self.cull_back_faces else 0))
        self._capsule_program["u_view_proj"].write(view_projection)
        self._capsule_program["u_eye"].value = eye
        ctx.enable(moderngl.BLEND)
        ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        self._capsules.render(moderngl.TRIANGLES, instances=len(primitives))
        ctx.disable(moderngl.BLEND)
        self._world_fbo.read_into(self._world if into is None else into, components=4, alignment=1)

    # The 2D part ----------------------------------------------------------------------------
    def set_layers(self, layers: list[Any]) -> None:
        """What is drawn over the world, in order: objects with `paste_onto(image, *, mirrored)` (the
        floor-pattern inset, the text); see hud.py."""
        self._layers = list(layers)

    def picture(self, *, mirrored: bool = False) -> Any:
        """The last world drawn (flipped left-right for the mirrored twin) with the layers on top: a
        new PIL RGBA image; the text layers are never flipped."""
        from PIL import Image

        # Always a new image: the world's own (over the readback buffer) is shared by both twins.
        if mirrored:
            image = self._world_image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        else:
            image = self._world_image.copy()
        for layer in self._layers:
            layer.paste_onto(image, mirrored=mirrored)
        return image

    # One picture ----------------------------------------------------------------------------
    def draw(
        self,
        positions_by_dancer: dict[str, np.ndarray],
        *,
        mirrored: bool = False,
        camera: Camera | None = None,
    ) -> np.ndarray:
        """One picture of the couple in this pose ((joints, 3) per dancer) with the current layers; the
        camera frames this pose unless given. Returns (height, width, 3) uint8 RGB, top row first."""
        camera = camera or still_camera(positions_by_dancer, aspect=self.width / self.height)
        self.draw_world(pose_primitives(positions_by_dancer), camera)
        return np.asarray(self.picture(mirrored=mirrored))[:, :, :3].copy()


def pose_primitives(positions_by_dancer: dict[str, np.ndarray]) -> np.ndarray:
    """Both bodies' primitives for one pose: (n, PRIMITIVE_FLOATS)."""
    parts = [body_primitives(np.asarray(joints)[None], dancer)[0] for dancer, joints in positions_by_dancer.items()]
    return np.concatenate(parts, axis=0)
