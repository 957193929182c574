"""Rendering templates into files: DOCX through docxtpl, HTML through a sandbox and then WeasyPrint to PDF.

Both formats use one placeholder syntax (Jinja2, which docxtpl is built on) in a `SandboxedEnvironment`
with `StrictUndefined`: a template sees only the plain data of `context.py`, cannot call methods or
reach private attributes, and a misspelt placeholder is an error naming it instead of an empty gap.
"""

import io
import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, UndefinedError
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from crm.documents.context import Context


def _environment(*, autoescape: bool) -> ImmutableSandboxedEnvironment:
    # No filters or globals beyond Jinja's own safe ones; immutable so a template cannot alter its data.
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=autoescape)


def _explain(error: Exception) -> str:
    if isinstance(error, UndefinedError):
        return _("Unknown placeholder: %(message)s.") % {"message": error.message}
    if isinstance(error, SecurityError):
        return _("The template tries to reach something outside its data: %(message)s.") % {"message": str(error)}
    if isinstance(error, TemplateSyntaxError):
        return _("Template syntax error on line %(line)s: %(message)s.") % {
            "line": error.lineno,
            "message": error.message,
        }
    return _("The template cannot be rendered: %(message)s.") % {"message": str(error)}


def render_html(source: str, context: Context) -> str:
    """The HTML of a template rendered in the sandbox; ValidationError names the placeholder at fault."""
    try:
        return _environment(autoescape=True).from_string(source).render(context)
    except TemplateError as error:
        raise ValidationError({"html_source": _explain(error)}) from error


def html_to_pdf(html: str) -> bytes:
    """Print HTML to PDF; no base URL, so a template cannot make the server fetch local files or URLs."""
    from weasyprint import HTML  # imported late: it loads Pango at import time
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf


def check_docx(data: bytes) -> None:
    """Refuse anything that is not a Word document (a renamed file, a zip of something else, garbage)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as error:
        raise ValidationError({"file": _("This is not a DOCX file.")}) from error
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise ValidationError({"file": _("This is not a DOCX file.")})


def render_docx(data: bytes, context: Context) -> bytes:
    """The DOCX template filled in; ValidationError names the placeholder at fault."""
    check_docx(data)
    try:
        template = DocxTemplate(io.BytesIO(data))
        template.render(context, jinja_env=_environment(autoescape=True), autoescape=True)
    except TemplateError as error:
        raise ValidationError({"file": _explain(error)}) from error
    except (PackageNotFoundError, KeyError, ValueError) as error:
        raise ValidationError(
            {"file": _("This DOCX file cannot be read: %(message)s.") % {"message": str(error)}}
        ) from error
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()
