"""The program preview: a QOpenGLWidget drawing the scene model with OpenGL.

Camera and B-roll frames arrive as I420 and go up as three single-channel textures, once
per new frame (not per paint); a shader converts to RGB (BT.601, limited range: what
FFmpeg's converter does for the CPU path). Layers are the scene model's rectangles with
the same fitting as the CPU compositor; a crossfade draws both shots into framebuffer
objects and blends them, exactly as the CPU compositor blends its two pictures.
"""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QImage, QOpenGLContext, QPainter
from PySide6.QtOpenGL import (
    QOpenGLBuffer,
    QOpenGLFramebufferObject,
    QOpenGLPixelTransferOptions,
    QOpenGLShader,
    QOpenGLShaderProgram,
    QOpenGLTexture,
)
from PySide6.QtOpenGLWidgets import QOpenGLWidget

from livedirector_desktop.compositor.figure_card import FigureStyle, figure_card
from livedirector_desktop.compositor.scene import CAPTION_BAND, ProgramInputs, Shot
from livedirector_desktop.core.figure import figure_of
from livedirector_desktop.core.geometry import fit_size

log = logging.getLogger(__name__)

GL_FLOAT, GL_TRIANGLE_STRIP = 0x1406, 0x0005
GL_BLEND, GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA = 0x0BE2, 0x0302, 0x0303
GL_COLOR_BUFFER_BIT, GL_TEXTURE0 = 0x4000, 0x84C0

VERTEX = """
attribute vec2 pos;
uniform vec4 dst;
uniform vec4 src;
varying vec2 uv;
void main() {
    vec2 p = dst.xy + pos * dst.zw;
    gl_Position = vec4(p.x * 2.0 - 1.0, 1.0 - p.y * 2.0, 0.0, 1.0);
    uv = src.xy + pos * src.zw;
}
"""

FRAGMENT = """
uniform sampler2D ty;
uniform sampler2D tu;
uniform sampler2D tv;
uniform int mode;      // 0: I420 planes, 1: solid colour, 2: RGB texture in ty
uniform vec4 color;
uniform float alpha;
varying vec2 uv;
void main() {
    if (mode == 1) { gl_FragColor = vec4(color.rgb, alpha); return; }
    if (mode == 2) { gl_FragColor = vec4(texture2D(ty, uv).rgb, alpha); return; }
    float y = 1.16438 * (texture2D(ty, uv).r - 0.0627451);
    float u = texture2D(tu, uv).r - 0.501961;
    float v = texture2D(tv, uv).r - 0.501961;
    gl_FragColor = vec4(y + 1.59603 * v, y - 0.391762 * u - 0.812968 * v, y + 2.01723 * u, alpha);
}
"""

BLACK_RGB = (16 - 16) * 1.16438 / 255  # limited-range black (Y=16) is 0 after conversion


class PlaneTextures:
    """Y, U, V textures of one source, re-uploaded only when handed a new frame."""

    def __init__(self) -> None:
        self.textures: list[QOpenGLTexture] = []
        self.size = (0, 0)
        self._last = None
        self.uploads = 0

    def upload(self, image: np.ndarray, width: int, height: int) -> None:
        if image is self._last:
            return
        if (width, height) != self.size:
            self.destroy()
            for w, h in ((width, height), (width // 2, height // 2), (width // 2, height // 2)):
                tex = QOpenGLTexture(QOpenGLTexture.Target.Target2D)
                tex.setFormat(QOpenGLTexture.TextureFormat.R8_UNorm)
                tex.setSize(w, h)
                tex.setMinificationFilter(QOpenGLTexture.Filter.Linear)
                tex.setMagnificationFilter(QOpenGLTexture.Filter.Linear)
                tex.setWrapMode(QOpenGLTexture.WrapMode.ClampToEdge)
                tex.allocateStorage(QOpenGLTexture.PixelFormat.Red, QOpenGLTexture.PixelType.UInt8)
                self.textures.append(tex)
            self.size = (width, height)
        opts = QOpenGLPixelTransferOptions()
        opts.setAlignment(1)
        y = image[:height]
        chroma = image[height:].reshape(2, height // 2, width // 2)
        for tex, plane in zip(self.textures, (y, chroma[0], chroma[1]), strict=True):
            tex.setData(
                QOpenGLTexture.PixelFormat.Red,
                QOpenGLTexture.PixelType.UInt8,
                np.ascontiguousarray(plane).tobytes(),
                opts,
            )
        self._last = image
        self.uploads += 1

    def bind(self) -> None:
        for unit, tex in enumerate(self.textures):
            tex.bind(unit)

    def destroy(self) -> None:
        if QOpenGLContext.currentContext() is not None:
            for tex in self.textures:
                tex.destroy()
        self.textures = []
        self.size = (0, 0)
        self._last = None


class ProgramView(QOpenGLWidget):
    def __init__(self, program_w: int = 1280, program_h: int = 720, parent=None) -> None:
        super().__init__(parent)
        self.program_w, self.program_h = program_w, program_h
        self.inputs: ProgramInputs | None = None
        self.message = ""
        self.figure_style = FigureStyle()  # the studio sets it from the settings
        self.figures_painted = 0  # figure cards drawn (tests read it)
        self.paints = 0
        self._camera = PlaneTextures()
        self._broll: dict[int, PlaneTextures] = {}
        self._fbos: list[QOpenGLFramebufferObject] = []
        self.setMinimumSize(320, 180)

    @property
    def camera_uploads(self) -> int:
        """Camera frames uploaded to the GPU (a new frame each, repeats are skipped)."""
        return self._camera.uploads

    # ---------------------------------------------------------------- inputs

    def show_inputs(self, inputs: ProgramInputs) -> None:
        self.inputs = inputs
        self.update()

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    # ---------------------------------------------------------------- GL

    def initializeGL(self) -> None:
        self.context().aboutToBeDestroyed.connect(self._cleanup)
        self.program = QOpenGLShaderProgram(self)
        self.program.addShaderFromSourceCode(QOpenGLShader.ShaderTypeBit.Vertex, VERTEX)
        self.program.addShaderFromSourceCode(QOpenGLShader.ShaderTypeBit.Fragment, FRAGMENT)
        self.program.bindAttributeLocation("pos", 0)
        if not self.program.link():
            raise RuntimeError(f"shader link failed: {self.program.log()}")
        self.quad = QOpenGLBuffer(QOpenGLBuffer.Type.VertexBuffer)
        self.quad.create()
        self.quad.bind()
        data = np.array([0, 0, 1, 0, 0, 1, 1, 1], dtype=np.float32).tobytes()
        self.quad.allocate(data, len(data))
        self.quad.release()

    def release_gl(self) -> None:
        if self.context() is not None:
            self._cleanup()

    def _cleanup(self) -> None:
        """Textures and framebuffers go while their context is still current."""
        self.makeCurrent()
        self._camera.destroy()
        for tex in self._broll.values():
            tex.destroy()
        self._broll.clear()
        self._fbos = []
        self.doneCurrent()

    def _viewport(self) -> tuple[int, int, int, int]:
        """The program's 16:9 (or whatever) picture, letterboxed in the widget."""
        ratio = self.devicePixelRatioF()
        ww, wh = int(self.width() * ratio), int(self.height() * ratio)
        scale = min(ww / self.program_w, wh / self.program_h)
        vw, vh = int(self.program_w * scale), int(self.program_h * scale)
        return (ww - vw) // 2, (wh - vh) // 2, vw, vh

    def _quad(self, dst, src=(0.0, 0.0, 1.0, 1.0), mode=0, color=(0, 0, 0), alpha=1.0) -> None:
        p = self.program
        p.setUniformValue("dst", *[float(v) for v in dst])
        p.setUniformValue("src", *[float(v) for v in src])
        p.setUniformValue1i("mode", int(mode))
        p.setUniformValue("color", float(color[0]), float(color[1]), float(color[2]), 1.0)
        p.setUniformValue1f("alpha", float(alpha))
        self.context().functions().glDrawArrays(GL_TRIANGLE_STRIP, 0, 4)

    def _draw_source(
        self, tex: PlaneTextures, src_w: int, src_h: int, rect, fit: str, alpha: float
    ) -> None:
        """Same geometry as compositor.cpu.draw_into, in output-relative units."""
        x, y, w, h = rect
        fw, fh = fit_size(src_w, src_h, w, h, fit)
        W, H = self.program_w, self.program_h
        tex.bind()
        if fit == "contain":
            self._quad((x / W, y / H, w / W, h / H), mode=1, alpha=alpha)
            ox, oy = x + (w - fw) // 2, y + (h - fh) // 2
            self._quad((ox / W, oy / H, fw / W, fh / H), (0, 0, 1, 1), 0, alpha=alpha)
        else:
            cx, cy = (fw - w) // 2, (fh - h) // 2
            self._quad(
                (x / W, y / H, w / W, h / H), (cx / fw, cy / fh, w / fw, h / fh), 0, alpha=alpha
            )

    def _draw_shot(self, shot: Shot, layout_name: str, alpha: float) -> None:
        inputs = self.inputs
        layers = shot.layers(layout_name)
        broll = inputs.broll.get(shot.segment_index) if shot.asset_id else None
        if shot.asset_id and broll is None:
            layers = Shot(None, -1).layers(layout_name)
        self._quad((0, 0, 1, 1), mode=1, alpha=alpha)
        for layer in layers:
            rect = layer.rect.pixels(self.program_w, self.program_h)
            if layer.role == "camera":
                cam = inputs.camera
                if cam is not None:
                    self._camera.upload(cam.image, cam.width, cam.height)
                    self._draw_source(self._camera, cam.width, cam.height, rect, layer.fit, alpha)
            elif broll is not None:
                image, bw, bh = broll
                tex = self._broll.setdefault(shot.segment_index, PlaneTextures())
                tex.upload(image, bw, bh)
                self._draw_source(tex, bw, bh, rect, layer.fit, alpha)

    def _ensure_fbos(self, vw: int, vh: int) -> None:
        if (
            self._fbos
            and self._fbos[0].size().width() == vw
            and self._fbos[0].size().height() == vh
        ):
            return
        self._fbos = [QOpenGLFramebufferObject(vw, vh) for _ in range(2)]

    def paintGL(self) -> None:
        f = self.context().functions()
        f.glClearColor(0.08, 0.08, 0.09, 1.0)
        f.glClear(GL_COLOR_BUFFER_BIT)
        self.paints += 1
        if self.inputs is None:
            self._paint_message(self.message or "starting…")
            return
        vx, vy, vw, vh = self._viewport()
        self.program.bind()
        self.quad.bind()
        self.program.enableAttributeArray(0)
        self.program.setAttributeBuffer(0, GL_FLOAT, 0, 2)
        for name, unit in (("ty", 0), ("tu", 1), ("tv", 2)):
            self.program.setUniformValue1i(name, unit)
        f.glEnable(GL_BLEND)
        f.glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA)
        state, layout_name = self.inputs.state, self.inputs.layout
        if not state.in_transition:
            f.glViewport(vx, vy, vw, vh)
            self._draw_shot(state.to, layout_name, 1.0)
        else:
            self._ensure_fbos(vw, vh)
            for fbo, shot in zip(self._fbos, (state.frm, state.to), strict=True):
                fbo.bind()
                f.glViewport(0, 0, vw, vh)
                self._draw_shot(shot, layout_name, 1.0)
                fbo.release()
            self.makeCurrent()
            f.glBindFramebuffer(0x8D40, self.defaultFramebufferObject())
            f.glViewport(vx, vy, vw, vh)
            for fbo, alpha in zip(self._fbos, (1.0, state.alpha), strict=True):
                f.glActiveTexture(GL_TEXTURE0)
                f.glBindTexture(0x0DE1, fbo.texture())
                self._quad((0, 0, 1, 1), (0, 1, 1, -1), mode=2, alpha=alpha)
        self.program.disableAttributeArray(0)
        self.quad.release()
        self.program.release()
        live = {self.inputs.state.frm.segment_index, self.inputs.state.to.segment_index}
        for shot_id in [k for k in self._broll if k not in live]:
            self._broll.pop(shot_id).destroy()
        # QPainter draws with textures of its own: leave it no plane bound (with the
        # camera's Y plane left on unit 0, a figure's card showed the camera in red).
        for unit in (2, 1, 0):
            f.glActiveTexture(GL_TEXTURE0 + unit)
            f.glBindTexture(0x0DE1, 0)
        self._paint_figures(state, (vx, vy, vw, vh))
        if self.inputs.caption:
            self._paint_caption(self.inputs.caption, (vx, vy, vw, vh))
        if self.message:
            self._paint_message(self.message)

    def _paint_figures(self, state, viewport) -> None:
        """Figure cards over the picture: the very pixels the CPU compositor blends into the
        recording (compositor/figure_card.py), faded with their shot."""
        weights = [(state.to, state.alpha if state.in_transition else 1.0)]
        if state.in_transition:
            weights.append((state.frm, 1.0 - state.alpha))
        cards = [(figure_of(s.asset_id), w) for s, w in weights if s.asset_id and w > 0]
        cards = [(f, w) for f, w in cards if f is not None]
        if not cards:
            return
        from livedirector_desktop.compositor.cpu import default_font

        ratio = self.devicePixelRatioF()
        vx, vy, vw, vh = viewport
        x, y, w, h = self.figure_style.rect().pixels(vw, vh)
        top = self.height() * ratio - (vy + vh)  # GL's y is from the bottom
        painter = QPainter(self)
        for figure, weight in cards:
            card = figure_card(figure, w, h, self.figure_style, default_font())
            image = QImage(card.data, card.shape[1], card.shape[0], QImage.Format.Format_RGBA8888)
            painter.setOpacity(weight)
            painter.drawImage(
                int((vx + x) / ratio), int((top + y) / ratio), image.scaled(
                    int(w / ratio), int(h / ratio),
                    Qt.AspectRatioMode.IgnoreAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                ) if ratio != 1 else image,
            )  # fmt: skip
            self.figures_painted += 1
        painter.end()

    def _paint_caption(self, text: str, viewport) -> None:
        """The scene model's caption band, in the widget's logical pixels."""
        ratio = self.devicePixelRatioF()
        vx, vy, vw, vh = (v / ratio for v in viewport)
        # GL's viewport y is from the bottom; the painter's from the top.
        top = self.height() - (vy + vh)
        band = CAPTION_BAND
        x, y, w, h = vx + band.x * vw, top + band.y * vh, band.w * vw, band.h * vh
        painter = QPainter(self)
        painter.fillRect(int(x), int(y), int(w), int(h), QColor(18, 18, 18))
        painter.setPen(QColor(235, 235, 235))
        font = QFont("Sans")
        font.setPixelSize(max(8, int(h * 0.55)))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        painter.drawText(
            int(x),
            int(y),
            int(w),
            int(h),
            Qt.AlignmentFlag.AlignCenter,
            metrics.elidedText(text, Qt.TextElideMode.ElideLeft, int(w - h)),
        )
        painter.end()

    def _paint_message(self, text: str) -> None:
        painter = QPainter(self)
        painter.setPen(QColor(230, 230, 230))
        painter.setFont(QFont("Sans", 12))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
        painter.end()
