"""A monthly menu laid out as families read it: weeks of days, a dish per course."""

import datetime
from dataclasses import dataclass, field


@dataclass
class MenuDay:
    day: datetime.date
    dishes: dict = field(default_factory=dict)  # course → dish


@dataclass
class MenuWeek:
    monday: datetime.date
    days: list = field(default_factory=list)


def menu_weeks(dishes) -> list[MenuWeek]:
    """The month's dishes as weeks (Monday first) of days, each with its dish per course."""
    days: dict[datetime.date, MenuDay] = {}
    for dish in dishes:
        days.setdefault(dish.served_on, MenuDay(day=dish.served_on)).dishes[dish.course] = dish
    weeks: dict[datetime.date, MenuWeek] = {}
    for day in sorted(days):
        monday = day - datetime.timedelta(days=day.weekday())
        weeks.setdefault(monday, MenuWeek(monday=monday)).days.append(days[day])
    return list(weeks.values())


def split_past_weeks(weeks: list[MenuWeek], today: datetime.date) -> tuple[list, list]:
    """(weeks already over, this week and those to come): families look ahead first."""
    past = [week for week in weeks if week.monday + datetime.timedelta(days=7) <= today]
    return past, weeks[len(past) :]
