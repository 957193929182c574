"""Russian declension of people's names and positions for documents («в лице Генерального директора Иванова И. И.»).

Names go through pytrovich (the petrovich rules: surnames, first names and patronymics by gender).
Positions are free text; the common masculine pattern "adjectives + noun [+ the rest]" is declined by
endings (Генеральный директор -> Генерального директора, Директор по продажам -> Директора по продажам);
anything else is left as typed, which a template author can see in the preview.
"""

from dataclasses import dataclass
from typing import Literal

from pytrovich.detector import PetrovichGenderDetector
from pytrovich.enums import Case, Gender, NamePart
from pytrovich.maker import PetrovichDeclinationMaker

GrammaticalCase = Literal["genitive", "dative"]
_CASES = {"genitive": Case.GENITIVE, "dative": Case.DATIVE}
_maker = PetrovichDeclinationMaker()
_detector = PetrovichGenderDetector()


@dataclass(frozen=True)
class FullName:
    last: str
    first: str
    middle: str

    @classmethod
    def parse(cls, text: str) -> "FullName":
        """ "Иванов Иван Иванович" (last name first, as Russian documents write it)."""
        parts = text.split()
        return cls(*(parts + ["", "", ""])[:3]) if len(parts) <= 3 else cls(" ".join(parts[:-2]), *parts[-2:])

    def __str__(self) -> str:
        return " ".join(p for p in (self.last, self.first, self.middle) if p)

    @property
    def short(self) -> str:
        """ "Иванов И. И." for signatures."""
        initials = " ".join(f"{p[0]}." for p in (self.first, self.middle) if p)
        return " ".join(p for p in (self.last, initials) if p)


def _gender(name: FullName) -> Gender:
    # pytrovich's detect() carries no annotations; it returns a Gender.
    found = _detector.detect(  # type: ignore[no-untyped-call]
        firstname=name.first or None, lastname=name.last or None, middlename=name.middle or None
    )
    return found if isinstance(found, Gender) else Gender.ANDROGYNOUS


def decline_name(name: FullName, case: GrammaticalCase) -> FullName:
    """The person's name in the genitive or dative case; each part by its own rules."""
    if not (name.last or name.first or name.middle):
        return name
    gender, target = _gender(name), _CASES[case]
    known = gender != Gender.ANDROGYNOUS

    def make(part: NamePart, value: str) -> str:
        return _maker.make(part, gender, target, value, known_gender=known) if value else ""

    return FullName(
        make(NamePart.LASTNAME, name.last), make(NamePart.FIRSTNAME, name.first), make(NamePart.MIDDLENAME, name.middle)
    )


_ADJECTIVE_ENDINGS = {
    "genitive": (("ый", "ого"), ("ий", "его"), ("ой", "ого")),
    "dative": (("ый", "ому"), ("ий", "ему"), ("ой", "ому")),
}
_NOUN_ENDINGS = {
    "genitive": (("ь", "я"), ("й", "я"), ("а", "ы"), ("я", "и")),
    "dative": (("ь", "ю"), ("й", "ю"), ("а", "е"), ("я", "е")),
}
_CONSONANTS = "бвгджзклмнпрстфхцчшщ"
# After г, к, х and the hushing consonants Russian spelling writes -и, not -ы.
_AFTER_VELAR = "гкхжчшщ"


def _keep_case(original: str, declined: str) -> str:
    return declined[0].upper() + declined[1:] if original[:1].isupper() else declined


def _decline_noun(word: str, case: GrammaticalCase) -> str:
    lower = word.lower()
    if lower[-1:] in _CONSONANTS:
        return _keep_case(word, lower + ("а" if case == "genitive" else "у"))
    for ending, replacement in _NOUN_ENDINGS[case]:
        if lower.endswith(ending):
            if case == "genitive" and ending == "а" and lower[-2:-1] in _AFTER_VELAR:
                replacement = "и"
            return _keep_case(word, lower[: -len(ending)] + replacement)
    return word


def decline_position(position: str, case: GrammaticalCase) -> str:
    """A masculine-pattern position in the genitive or dative case; adjectives and the first noun change."""
    words = position.split()
    result: list[str] = []
    for index, word in enumerate(words):
        lower = word.lower()
        ending = next((e for e in _ADJECTIVE_ENDINGS[case] if lower.endswith(e[0]) and len(lower) > 3), None)
        if ending is not None:
            replacement = ending[1]
            if ending[0] == "ий" and lower[-3:-2] in "гкх":
                replacement = replacement.replace("е", "о", 1)  # коммерческий -> коммерческого
            result.append(_keep_case(word, lower[: -len(ending[0])] + replacement))
            continue
        if word.isalpha():
            result.append(_decline_noun(word, case))
        else:
            result.append(word)
        result.extend(words[index + 1 :])
        break
    return " ".join(result)


def person_declensions(full_name: str, position: str = "") -> dict[str, str]:
    """What templates get for a person: the name and position in three cases and the short form."""
    name = FullName.parse(full_name)
    genitive, dative = decline_name(name, "genitive"), decline_name(name, "dative")
    return {
        "name": str(name),
        "name_genitive": str(genitive),
        "name_dative": str(dative),
        "short": name.short,
        "short_genitive": genitive.short,
        "short_dative": dative.short,
        "position": position,
        "position_genitive": decline_position(position, "genitive") if position else "",
        "position_dative": decline_position(position, "dative") if position else "",
    }
