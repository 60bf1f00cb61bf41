"""Reading QR codes (and the other barcodes a label may carry) from a camera frame.

A phone or tablet that has no barcode reader of its own (the browser's BarcodeDetector) sends the server a small
grey frame of what its camera sees, several times a second; this module finds the codes in it with zxing-cpp (from
PyPI). The frame is raw 8-bit luminance, row by row — no image format to parse, so a hostile upload is only ever
a bounded array of bytes."""

from __future__ import annotations

import numpy as np
import zxingcpp

from market.errors import InvalidInput

MAX_SIDE = 1920  # pixels on a side: a frame larger than a full-HD camera's is not a camera frame
MAX_FRAME = MAX_SIDE * MAX_SIDE


def decode_frame(pixels: bytes, width: int, height: int) -> list[str]:
    """The texts of the codes in a ``width`` × ``height`` grey frame (one byte a pixel), in reading order."""
    if not (16 <= width <= MAX_SIDE and 16 <= height <= MAX_SIDE):
        raise InvalidInput(f"画面尺寸须在 16～{MAX_SIDE} 像素之间。", "w")
    if len(pixels) != width * height:
        raise InvalidInput(f"画面数据应为 {width}×{height} = {width * height} 字节（每像素一个灰度字节），收到 {len(pixels)} 字节。",
                           "frame")
    frame = np.frombuffer(pixels, dtype=np.uint8).reshape(height, width)
    return [code.text for code in zxingcpp.read_barcodes(frame) if code.valid and code.text]
