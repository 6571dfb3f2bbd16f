"""Open what the pack renders: PDF text, page count, images, a page as PNG; PPTX slides."""

import io
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def pdf_pages(data: bytes) -> int:
    out = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout
    line = next(x for x in out.decode().splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


def pdf_images(data: bytes) -> int:
    """Number of images embedded in the PDF (pdfimages -list; alpha masks not counted)."""
    out = subprocess.run(
        ["pdfimages", "-list", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    rows = [line.split() for line in out.splitlines()[2:]]
    return sum(1 for row in rows if len(row) > 2 and row[2] == "image")


def pdf_page_png(data: bytes, page: int, path: str, dpi: int = 60) -> str:
    """Render one page with pdftoppm to ``path`` (a PNG a person can look at)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "pack.pdf"
        source.write_bytes(data)
        stem = Path(tmp) / "page"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                str(dpi),
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(source),
                str(stem),
            ],
            check=True,
        )
        Path(path).write_bytes(stem.with_suffix(".png").read_bytes())
    return path


def slides(data: bytes):
    return list(Presentation(io.BytesIO(data)).slides)


def slide_title(slide) -> str:
    return slide.shapes.title.text if slide.shapes.title is not None else ""


def slide_pictures(slide) -> list:
    return [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]


def slide_text(slide) -> str:
    words = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            words.append(shape.text_frame.text)
        if shape.has_table:
            words += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(words)


def slide_png(data: bytes, index: int, path: str, width: int = 1000) -> str:
    """A rough preview of one slide (no LibreOffice here): pictures pasted where they sit,
    text boxes and tables outlined with their first words, to check the layout by eye."""
    prs = Presentation(io.BytesIO(data))
    scale = width / prs.slide_width
    image = Image.new("RGB", (width, int(prs.slide_height * scale)), "white")
    draw = ImageDraw.Draw(image)
    for shape in prs.slides[index].shapes:
        box = [
            int(v * scale)
            for v in (shape.left, shape.top, shape.left + shape.width, shape.top + shape.height)
        ]
        if shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
            picture = Image.open(io.BytesIO(shape.image.blob)).convert("RGB")
            image.paste(picture.resize((box[2] - box[0], box[3] - box[1])), (box[0], box[1]))
            continue
        draw.rectangle(box, outline="#bbbbbb")
        text = slide_text_of(shape)
        y = box[1] + 2
        for line in text.splitlines()[:12]:
            draw.text((box[0] + 3, y), line[:160], fill="black")
            y += 12
    image.save(path)
    return path


def slide_text_of(shape) -> str:
    if shape.has_text_frame:
        return shape.text_frame.text
    if shape.has_table:
        return "\n".join(
            " | ".join(c.text.replace("\n", " ") for c in row.cells) for row in shape.table.rows
        )
    return ""
