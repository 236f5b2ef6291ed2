"""Personal data as public pages may show it (DOMAIN.md: 张*明, 138****5678)."""

from __future__ import annotations


def mask_name(name: str | None) -> str:
    """张三明 -> 张*明, 张三 -> 张*, 欧阳小明 -> 欧**明; Latin names keep their first letter."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name or "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str:
    phone = (phone or "").strip()
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(number: str | None) -> str:
    """330102199001011234 -> 3301**********1234: region and birth date hidden."""
    number = (number or "").strip()
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
