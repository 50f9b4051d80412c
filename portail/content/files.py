"""Serving the files of content after the caller has checked who may see them."""

from django.http import FileResponse, Http404


def serve_file(stored, *, filename: str, as_attachment: bool, content_type: str):
    """A stored file, or 404 when the row names none or the storage lost it."""
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=as_attachment, filename=filename, content_type=content_type
    )
    # Private to this family: no shared cache may keep it.
    response["Cache-Control"] = "private, no-store"
    return response


def image_content_type(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower()
    return {"png": "image/png", "webp": "image/webp"}.get(extension, "image/jpeg")


def safe_filename(title: str) -> str:
    kept = "".join(c if c.isalnum() or c in "-_" else "-" for c in title)
    return "-".join(part for part in kept.split("-") if part)[:80] or "document"
