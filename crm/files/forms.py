from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.core.forms import StyledFormMixin
from crm.files.choices import MaterialCategory
from crm.files.models import SalesMaterial


class UploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=_("File"), allow_empty_file=True)


class LibraryPickForm(StyledFormMixin, forms.Form):
    materials = forms.ModelMultipleChoiceField(
        label=_("Materials"),
        queryset=SalesMaterial.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one material."),
            "invalid_choice": _("This material is no longer in the library."),
        },
    )

    def __init__(self, *args: Any, materials: QuerySet[SalesMaterial], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["materials"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = materials


class MaterialForm(StyledFormMixin, forms.Form):
    """A library entry; a plain form so the service sees the material as it was before the edit."""

    title = forms.CharField(label=_("Title"), max_length=300)
    category = forms.ChoiceField(label=_("Category"), choices=MaterialCategory.choices)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[("", _("any")), *settings.LANGUAGES])
    upload = forms.FileField(label=_("File"), allow_empty_file=True)
    is_active = forms.BooleanField(label=_("Offered in the library"), required=False, initial=True)

    def __init__(self, *args: Any, material: SalesMaterial | None = None, **kwargs: Any) -> None:
        if material is not None:
            kwargs.setdefault(
                "initial",
                {f: getattr(material, f) for f in ("title", "category", "description", "language", "is_active")},
            )
        super().__init__(*args, **kwargs)
        if material is not None:
            self.fields["upload"].required = False
            self.fields["upload"].help_text = _("Leave empty to keep the current file.")
        else:
            del self.fields["is_active"]


class MaterialFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("all categories")), *MaterialCategory.choices]
    )
