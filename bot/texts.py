"""Every sentence the bot says, in German and English. Nothing else holds user-facing text."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "severity.critical": {"de": "KRITISCH", "en": "CRITICAL"},
    "severity.warning": {"de": "WARNUNG", "en": "WARNING"},
    "severity.info": {"de": "INFO", "en": "INFO"},
    "status.firing": {"de": "offen", "en": "open"},
    "status.acknowledged": {"de": "bestätigt", "en": "acknowledged"},
    "status.resolved": {"de": "erledigt", "en": "resolved"},
    "card.where": {"de": "Wo: {where}", "en": "Where: {where}"},
    "card.everywhere": {"de": "alle Regionen", "en": "all regions"},
    "card.size": {
        "de": "{current} Beiträge in {window} — normal wären etwa {baseline}",
        "en": "{current} posts in {window} — normally about {baseline}",
    },
    "card.size_nobase": {"de": "{current} in {window}", "en": "{current} in {window}"},
    "card.acked": {"de": "Bestätigt von {who} ({via}) um {time}", "en": "Acknowledged by {who} ({via}) at {time}"},
    "card.resolved": {"de": "Erledigt um {time}", "en": "Resolved at {time}"},
    "card.since": {"de": "seit {time}", "en": "since {time}"},
    "card.posts": {"de": "Beispiele", "en": "Examples"},
    "button.ack": {"de": "Bestätigen", "en": "Acknowledge"},
    "generic.message": {
        "de": "Auffällige Aktivität: {what}",
        "en": "Unusual activity: {what}",
    },
    "ack.done": {"de": "Alarm #{id} bestätigt von {who}.", "en": "Alert #{id} acknowledged by {who}."},
    "ack.already": {
        "de": "Alarm #{id} wurde schon von {who} bestätigt ({time}).",
        "en": "Alert #{id} was already acknowledged by {who} ({time}).",
    },
    "ack.resolved": {"de": "Alarm #{id} ist bereits erledigt.", "en": "Alert #{id} is already resolved."},
    "ack.missing": {"de": "Einen Alarm #{id} gibt es nicht.", "en": "There is no alert #{id}."},
    "ack.which": {
        "de": "Welchen Alarm? Zum Beispiel: „ack {id}“.",
        "en": "Which alert? For example: “ack {id}”.",
    },
    "alerts.none": {"de": "Keine offenen Alarme. 🎉", "en": "No open alerts. 🎉"},
    "alerts.header": {"de": "{n} offene Alarme:", "en": "{n} open alerts:"},
    "alerts.line": {"de": "#{id} {severity} · {title} · {status}", "en": "#{id} {severity} · {title} · {status}"},
    "topics.header": {
        "de": "Themen der letzten {window} (Beiträge, davon negativ):",
        "en": "Topics in the last {window} (posts, of which negative):",
    },
    "topics.line": {"de": "• {title}: {n} ({neg} negativ)", "en": "• {title}: {n} ({neg} negative)"},
    "topics.none": {"de": "In den letzten {window} keine Beiträge.", "en": "No posts in the last {window}."},
    "region.header": {
        "de": "{region}, letzte {window}: {n} Beiträge, {neg} negativ.",
        "en": "{region}, last {window}: {n} posts, {neg} negative.",
    },
    "region.topics": {"de": "Häufigste Themen: {topics}", "en": "Top topics: {topics}"},
    "region.alerts": {"de": "Offene Alarme: {alerts}", "en": "Open alerts: {alerts}"},
    "region.unknown": {
        "de": "Die Region „{name}“ kenne ich nicht. Bekannt: {known}",
        "en": "I don't know the region “{name}”. Known: {known}",
    },
    "oncall.line": {"de": "{dept}: {people}", "en": "{dept}: {people}"},
    "oncall.nobody": {"de": "niemand eingetragen", "en": "nobody listed"},
    "help": {
        "de": (
            "Ich beobachte die Social-Media-Kanäle und melde Auffälligkeiten. Fragen Sie mich zum Beispiel:\n"
            "• „offene Alarme“\n• „ack 42“ – Alarm 42 bestätigen\n• „Themen“ – was gerade besprochen wird\n"
            "• „was ist los in Köln?“\n• „wer hat Bereitschaft?“\n• „hilfe“"
        ),
        "en": (
            "I watch the social-media channels and report anything unusual. Ask me, for example:\n"
            "• “open alerts”\n• “ack 42” – acknowledge alert 42\n• “topics” – what people talk about now\n"
            "• “what's happening in Berlin?”\n• “who is on call?”\n• “help”"
        ),
    },
    "unknown": {
        "de": "Das habe ich nicht verstanden. Versuchen Sie „offene Alarme“, „ack 42“, „Themen“ oder „hilfe“.",
        "en": "Sorry, I didn't get that. Try “open alerts”, “ack 42”, “topics” or “help”.",
    },
}


def say(key: str, lang: str, **values) -> str:
    """The text for `key` in `lang` (English when unknown), with values filled in."""
    entry = TEXTS[key]
    return entry.get(lang, entry["en"]).format(**values)
