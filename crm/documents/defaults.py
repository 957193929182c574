"""The shipped templates: a DOCX (built in code with python-docx) and an HTML source for each document kind.

Shipped DOCX templates are not stored as files: `build_default_docx` makes the same bytes whenever they
are needed, and a user who wants to change one downloads it, edits it in Word and uploads the result.
"""

import io
from dataclasses import dataclass, field

from docx import Document as WordDocument
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx.table import Table

from crm.sales.choices import DocumentKind


@dataclass(frozen=True)
class Shipped:
    kind: str
    name: str
    title: str
    intro: list[str] = field(default_factory=list)
    clauses: list[str] = field(default_factory=list)
    with_lines: bool = True


_PARTIES = (
    "{{ seller.full_name }}, именуемое в дальнейшем «Поставщик», в лице {{ seller.director.position_genitive }} "
    "{{ seller.director.name_genitive }}, действующего на основании {{ seller.basis }}, с одной стороны, и "
    "{{ client.full_name }}, именуемое в дальнейшем «Покупатель», в лице {{ contact.position_genitive }} "
    "{{ contact.name_genitive }}, с другой стороны,"
)

SHIPPED: list[Shipped] = [
    Shipped(
        DocumentKind.PROPOSAL,
        "Коммерческое предложение (стандартное)",
        "Коммерческое предложение № {{ document.number }} от {{ document.date }}",
        intro=[
            "Кому: {{ client.name }}, {{ contact.position_dative }} {{ contact.name_dative }}",
            "{{ seller.name }} предлагает поставить следующие товары и услуги:",
        ],
        clauses=[
            "Предложение действительно 30 дней. Ваш менеджер: {{ deal.owner }}, {{ deal.owner_email }}.",
        ],
    ),
    Shipped(
        DocumentKind.CONTRACT,
        "Договор поставки (стандартный)",
        "Договор поставки № {{ document.number }}",
        intro=["г. Москва, {{ document.date }}", _PARTIES + " заключили настоящий договор о нижеследующем:"],
        clauses=[
            "1. Поставщик обязуется передать в собственность Покупателя товар, а Покупатель — принять и оплатить "
            "его в количестве, ассортименте и по ценам, указанным в спецификациях к договору.",
            "2. Общая сумма договора: {{ totals.gross }} {{ totals.currency }} ({{ totals.in_words }}), "
            "в том числе НДС {{ totals.vat }} {{ totals.currency }}.",
            "3. Оплата производится в течение 5 банковских дней с даты выставления счёта.",
            "4. Договор вступает в силу с даты подписания и действует до полного исполнения обязательств сторонами.",
        ],
        with_lines=False,
    ),
    Shipped(
        DocumentKind.SPECIFICATION,
        "Спецификация (стандартная)",
        "Спецификация № {{ document.number }} от {{ document.date }}",
        intro=[_PARTIES + " согласовали поставку следующих товаров:"],
        clauses=["Срок поставки: 10 рабочих дней с даты оплаты."],
    ),
    Shipped(
        DocumentKind.PRICE_PROTOCOL,
        "Протокол согласования цен (стандартный)",
        "Протокол согласования цен № {{ document.number }} от {{ document.date }}",
        intro=[_PARTIES + " согласовали следующие цены:"],
        clauses=["Цены действуют с {{ document.date }} до подписания нового протокола."],
    ),
    Shipped(
        DocumentKind.INVOICE,
        "Счёт на оплату (стандартный)",
        "Счёт на оплату № {{ document.number }} от {{ document.date }}",
        intro=[
            "Поставщик: {{ seller.full_name }}, ИНН {{ seller.inn }}, КПП {{ seller.kpp }}, {{ seller.legal_address }}",
            "Банк получателя: {{ seller.bank }}, БИК {{ seller.bik }}, р/с {{ seller.account }}, "
            "к/с {{ seller.correspondent_account }}",
            "Покупатель: {{ client.full_name }}, ИНН {{ client.inn }}, КПП {{ client.kpp }}, {{ client.legal_address }}",
        ],
        clauses=["Оплата данного счёта означает согласие с условиями поставки товара."],
    ),
]
SHIPPED_BY_KIND = {s.kind: s for s in SHIPPED}

LINE_COLUMNS = [
    ("№", "line.no"),
    ("Наименование", "line.name"),
    ("Ед.", "line.unit"),
    ("Кол-во", "line.qty"),
    ("Цена", "line.price"),
    ("Скидка, %", "line.discount"),
    ("Сумма", "line.amount"),
    ("Ставка НДС", "line.vat_rate"),
    ("НДС", "line.vat"),
]
TOTALS = [
    "Итого без НДС: {{ totals.net }} {{ totals.currency }}",
    "НДС: {{ totals.vat }} {{ totals.currency }}",
    "Всего к оплате: {{ totals.gross }} {{ totals.currency }}",
    "Сумма прописью: {{ totals.in_words }}",
]
REQUISITES = [
    "{{ %(p)s.full_name }}",
    "ИНН {{ %(p)s.inn }}, КПП {{ %(p)s.kpp }}, ОГРН {{ %(p)s.ogrn }}",
    "Адрес: {{ %(p)s.legal_address }}",
    "Банк: {{ %(p)s.bank }}, БИК {{ %(p)s.bik }}",
    "Р/с {{ %(p)s.account }}, к/с {{ %(p)s.correspondent_account }}",
]


def _lines_table(document: DocxDocument) -> Table:
    table: Table = document.add_table(rows=4, cols=len(LINE_COLUMNS))
    table.style = "Table Grid"
    for index, (caption, expression) in enumerate(LINE_COLUMNS):
        table.rows[0].cells[index].text = caption
        table.rows[2].cells[index].text = "{{ " + expression + " }}"
    # docxtpl's row tags: the rows holding them are removed and the row between repeats per line.
    table.rows[1].cells[0].text = "{%tr for line in lines %}"
    table.rows[3].cells[0].text = "{%tr endfor %}"
    return table


def build_default_docx(kind: str) -> bytes:
    """The shipped DOCX template of `kind`, made the same way every time."""
    shipped = SHIPPED_BY_KIND[kind]
    document = WordDocument()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(11)
    document.core_properties.title = shipped.name
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.add_run(shipped.title).bold = True
    for text in shipped.intro:
        document.add_paragraph(text)
    if shipped.with_lines:
        _lines_table(document)
        for text in TOTALS:
            document.add_paragraph(text)
    for text in shipped.clauses:
        document.add_paragraph(text)
    table = document.add_table(rows=1, cols=2)
    seller, client = table.rows[0].cells
    seller.text = "Поставщик\n" + "\n".join(line % {"p": "seller"} for line in REQUISITES)
    client.text = "Покупатель\n" + "\n".join(line % {"p": "client"} for line in REQUISITES)
    document.add_paragraph(
        "{{ seller.director.position }} ____________ {{ seller.director.short }}"
        "          {{ contact.position }} ____________ {{ contact.short }}"
    )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


_HTML_STYLE = """
@page { size: A4; margin: 18mm 15mm; }
body { font-family: "DejaVu Serif", "Times New Roman", serif; font-size: 10.5pt; }
h1 { font-size: 13pt; text-align: center; }
table { width: 100%; border-collapse: collapse; margin: 8pt 0; }
table.lines td, table.lines th { border: 0.5pt solid #000; padding: 2pt 4pt; }
td.num { text-align: right; white-space: nowrap; }
table.sign td { vertical-align: top; width: 50%; padding-right: 12pt; }
"""


def build_default_html(kind: str) -> str:
    """The shipped HTML template of `kind` (printed to PDF)."""
    shipped = SHIPPED_BY_KIND[kind]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ru"><head><meta charset="utf-8">',
        f"<title>{shipped.name}</title><style>{_HTML_STYLE}</style></head><body>",
        f"<h1>{shipped.title}</h1>",
    ]
    parts += [f"<p>{text}</p>" for text in shipped.intro]
    if shipped.with_lines:
        header = "".join(f"<th>{caption}</th>" for caption, _expr in LINE_COLUMNS)
        cells = "".join(
            ("<td>" if expr in ("line.name", "line.unit") else '<td class="num">') + "{{ " + expr + " }}</td>"
            for _caption, expr in LINE_COLUMNS
        )
        parts += [
            f'<table class="lines"><thead><tr>{header}</tr></thead><tbody>',
            "{% for line in lines %}<tr>" + cells + "</tr>{% endfor %}",
            "</tbody></table>",
        ]
        parts += [f"<p>{text}</p>" for text in TOTALS]
    parts += [f"<p>{text}</p>" for text in shipped.clauses]
    seller = "<br>".join(line % {"p": "seller"} for line in REQUISITES)
    client = "<br>".join(line % {"p": "client"} for line in REQUISITES)
    parts += [
        '<table class="sign"><tr>',
        f"<td><strong>Поставщик</strong><br>{seller}<br><br>"
        "{{ seller.director.position }} ____________ {{ seller.director.short }}</td>",
        f"<td><strong>Покупатель</strong><br>{client}<br><br>"
        "{{ contact.position }} ____________ {{ contact.short }}</td>",
        "</tr></table></body></html>",
    ]
    return "\n".join(parts)
