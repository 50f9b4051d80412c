"""An event as an iCalendar file (RFC 5545), for families to add it to their phone's agenda."""

import datetime

from django.conf import settings
from django.utils import timezone


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    encoded, parts = line.encode(), []
    while len(encoded) > 75:
        cut = 75 if not parts else 74
        while cut and (encoded[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        parts.append(encoded[:cut].decode())
        encoded = encoded[cut:]
    parts.append(encoded.decode())
    return "\r\n ".join(parts)


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def event_ics(news) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Portail Famille//Actualites//FR",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"UID:{news.reference}@portail-famille",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(news.event_starts_at)}",
        f"SUMMARY:{_escape(news.title)}",
    ]
    if news.event_location:
        lines.append(f"LOCATION:{_escape(news.event_location)}")
    lines += [f"URL:{settings.SITE_URL}{news.get_absolute_url()}", "END:VEVENT", "END:VCALENDAR"]
    return "".join(_fold(line) + "\r\n" for line in lines)
