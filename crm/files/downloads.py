"""Streaming a stored file to a user who passed the access check: the one way bytes leave the storage."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from crm.files.models import Attachment, SalesMaterial


def stream_file(stored: Attachment | SalesMaterial) -> FileResponse:
    """Stream the bytes in chunks with the original (possibly Cyrillic) name, RFC 5987 encoded by Django."""
    try:
        handle = default_storage.open(stored.file.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=stored.original_name, content_type=stored.content_type)
    # Never cached by shared caches, never sniffed into something a browser would run.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
