"""Text files people upload (CSV from Excel, scanner exports): decoded the way Chinese offices save them."""

from __future__ import annotations

from market.errors import InvalidInput


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), Excel's UTF-16 “Unicode 文本”, or GBK/GB18030; binary is refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        if b"\x00" in data[:8192]:
            raise InvalidInput("文件内容不是文本（CSV / TXT），请检查文件。", "file")
        encodings = ["utf-8", "gb18030"]  # GB18030 is a superset of GBK and GB2312
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("无法识别文件的编码，请以 UTF-8 或 GBK 编码保存后再上传。", "file")
