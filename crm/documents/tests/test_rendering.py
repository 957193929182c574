"""The sandbox: templates see only their data and name the placeholder at fault."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from docx import Document as WordDocument

from crm.documents import defaults, rendering
from crm.documents.context import amount_in_words, sample_context


def test_html_renders_the_context_and_escapes_it() -> None:
    context = {**sample_context(), "client": {**sample_context()["client"], "name": "<b>ООО</b>"}}
    assert rendering.render_html("{{ client.name }} {{ client.inn }}", context) == "&lt;b&gt;ООО&lt;/b&gt; 7707083893"


@pytest.mark.parametrize(
    "source",
    [
        "{{ client.__class__.__mro__ }}",
        "{{ lines.append(1) }}",
        "{{ ''.__class__.__subclasses__() }}",
        "{{ lines.__len__ }}",
    ],
)
def test_the_sandbox_refuses_to_reach_beyond_the_data(source: str) -> None:
    with pytest.raises(ValidationError) as refused:
        rendering.render_html(source, sample_context())
    assert "html_source" in refused.value.message_dict


def test_an_unknown_placeholder_is_named() -> None:
    with pytest.raises(ValidationError) as refused:
        rendering.render_html("{{ settings.SECRET_KEY }}", sample_context())
    assert "'settings' is undefined" in refused.value.message_dict["html_source"][0]


def test_a_syntax_error_is_reported_with_its_line() -> None:
    with pytest.raises(ValidationError) as refused:
        rendering.render_html("<p>\n{{ client.inn </p>", sample_context())
    assert "line 2" in refused.value.message_dict["html_source"][0]


def test_garbage_is_not_a_docx() -> None:
    with pytest.raises(ValidationError) as refused:
        rendering.render_docx(b"not a zip at all", sample_context())
    assert refused.value.message_dict == {"file": ["This is not a DOCX file."]}


def test_every_shipped_template_renders_with_the_sample_data() -> None:
    for shipped in defaults.SHIPPED:
        docx = rendering.render_docx(defaults.build_default_docx(shipped.kind), sample_context())
        text = "\n".join(p.text for p in WordDocument(io.BytesIO(docx)).paragraphs)
        assert "{{" not in text
        assert "Две тысячи рублей 00 копеек" in text, shipped.kind
        html = rendering.render_html(defaults.build_default_html(shipped.kind), sample_context())
        assert "{{" not in html


def test_amounts_in_words_carry_kopecks_in_digits() -> None:
    assert amount_in_words(Decimal("1234.56"), "RUB") == "Одна тысяча двести тридцать четыре рубля 56 копеек"
    assert amount_in_words(Decimal("21.01"), "RUB") == "Двадцать один рубль 01 копейка"
    assert amount_in_words(Decimal("2.00"), "USD") == "Два доллара США 00 центов"
