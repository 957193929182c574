from crm.documents.declension import decline_position, person_declensions


def test_a_man_s_name_and_position_in_the_genitive_and_dative() -> None:
    person = person_declensions("Иванов Иван Иванович", "Генеральный директор")
    assert (person["name_genitive"], person["position_genitive"]) == (
        "Иванова Ивана Ивановича",
        "Генерального директора",
    )
    assert (person["name_dative"], person["position_dative"]) == ("Иванову Ивану Ивановичу", "Генеральному директору")
    assert person["short"] == "Иванов И. И."


def test_a_woman_s_name_follows_her_gender() -> None:
    person = person_declensions("Смирнова Ольга Петровна")
    assert (person["name_genitive"], person["name_dative"]) == ("Смирновой Ольги Петровны", "Смирновой Ольге Петровне")


def test_positions_decline_adjectives_and_the_first_noun_only() -> None:
    assert decline_position("Коммерческий директор", "genitive") == "Коммерческого директора"
    assert decline_position("Директор по продажам", "dative") == "Директору по продажам"
    assert decline_position("Главный бухгалтер", "genitive") == "Главного бухгалтера"
    assert decline_position("Руководитель отдела", "genitive") == "Руководителя отдела"


def test_an_empty_name_stays_empty() -> None:
    assert person_declensions("")["name_genitive"] == ""
