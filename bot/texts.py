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
    "card.size_nobase": {"de": "{current} Beiträge in {window}", "en": "{current} posts in {window}"},
    "card.size_share": {"de": "{share} % negative Beiträge in {window}", "en": "{share}% negative posts in {window}"},
    "card.share_base": {"de": " — vorher {baseline} %", "en": " — before: {baseline}%"},
    "card.size_silence": {"de": "seit {minutes} Minuten kein Beitrag (sonst {baseline} pro Stunde)",
                          "en": "no post for {minutes} minutes (usually {baseline} an hour)"},
    "card.size_reach": {"de": "etwa {current} erreichte Menschen in {window}", "en": "about {current} people reached in {window}"},
    "card.acked": {"de": "Bestätigt von {who} ({via}) um {time}", "en": "Acknowledged by {who} ({via}) at {time}"},
    "card.resolved": {"de": "Erledigt um {time}", "en": "Resolved at {time}"},
    "card.since": {"de": "seit {time}", "en": "since {time}"},
    "page.room": {
        "de": "📟 Alarm #{id}: {who} (Bereitschaft, Stufe {level}) wird benachrichtigt – {where}.",
        "en": "📟 Alert #{id}: paging {who} (on call, level {level}) – {where}.",
    },
    "page.nowhere": {"de": "aber über keine Plattform erreichbar", "en": "but no platform knows them"},
    "page.unreachable": {
        "de": "{who} hat Bereitschaft für Alarm #{id}, ist aber auf keiner Plattform eingetragen.",
        "en": "{who} is on call for alert #{id} but has no user id on any enabled platform.",
    },
    "followup.grown": {"de": "📈 Weiter gewachsen: {size}", "en": "📈 Still growing: {size}"},
    # Noise control (H4): follow-ups in the alert's thread and lines on its card.
    "followup.raised": {"de": "⬆️ Alarm #{id} ist jetzt {severity}: {size}", "en": "⬆️ Alert #{id} is now {severity}: {size}"},
    "followup.ack_broken": {
        "de": "⬆️ Alarm #{id} ist jetzt {severity}: {size}. Die Bestätigung von {who} gilt nicht mehr; die Eskalation beginnt von vorn.",
        "en": "⬆️ Alert #{id} is now {severity}: {size}. The acknowledgement by {who} no longer holds; escalation starts again.",
    },
    "followup.repeat": {
        "de": "🔁 Alarm #{id} ist seit {time} offen und noch von niemandem bestätigt: {size}",
        "en": "🔁 Alert #{id} has been firing since {time} and nobody has acknowledged it: {size}",
    },
    "followup.reminder": {
        "de": "⏰ Erinnerung: Alarm #{id} wurde vor {ago} von {who} bestätigt, ist aber noch nicht erledigt.",
        "en": "⏰ Reminder: alert #{id} was acknowledged by {who} {ago} ago and is not resolved yet.",
    },
    "card.raised": {"de": "Schwere erhöht auf {severity} um {time}", "en": "Severity raised to {severity} at {time}"},
    "card.raised_ack_broken": {
        "de": "Schwere erhöht auf {severity} um {time} – die Bestätigung von {who} gilt nicht mehr",
        "en": "Severity raised to {severity} at {time} – the acknowledgement by {who} no longer holds",
    },
    "card.held_wait": {"de": "Zurückgehalten: Wartezeit der Gruppe, bis {time}", "en": "Held back: group wait, until {time}"},
    "card.held_silence": {"de": "Zurückgehalten: stummgeschaltet von {by}, bis {time}", "en": "Held back: silenced by {by}, until {time}"},
    "card.held_maintenance": {"de": "Zurückgehalten: Wartungsfenster {by}, bis {time}", "en": "Held back: maintenance window {by}, until {time}"},
    "card.held_inhibited": {"de": "Zurückgehalten, solange Alarm #{by} offen ist", "en": "Held back while alert #{by} is open"},
    "card.posts": {"de": "Beispiele", "en": "Examples"},
    "button.ack": {"de": "Bestätigen", "en": "Acknowledge"},
    "button.resolve": {"de": "Erledigt", "en": "Resolve"},
    "button.mute": {"de": "1 h stumm", "en": "Mute 1 h"},
    "button.escalate": {"de": "Eskalieren", "en": "Escalate"},
    "card.muted": {"de": "Stumm bis {time}", "en": "Muted until {time}"},
    "card.escalated": {"de": "Eskaliert von {who} um {time}", "en": "Escalated by {who} at {time}"},
    "card.resolved_by": {"de": "Erledigt von {who} ({via}) um {time}", "en": "Resolved by {who} ({via}) at {time}"},
    "generic.message": {
        "de": "Auffällige Aktivität: {what}",
        "en": "Unusual activity: {what}",
    },
    "act.acknowledged": {"de": "Alarm #{id} bestätigt von {who}.", "en": "Alert #{id} acknowledged by {who}."},
    "act.resolved": {"de": "Alarm #{id} als erledigt markiert von {who}.", "en": "Alert #{id} resolved by {who}."},
    "act.muted": {"de": "Alarm #{id} ist bis {until} stummgeschaltet.", "en": "Alert #{id} is muted until {until}."},
    "act.escalated": {
        "de": "Alarm #{id} an die Bereitschaft eskaliert von {who}.",
        "en": "Alert #{id} escalated to on-call by {who}.",
    },
    "act.already_acked": {
        "de": "Alarm #{id} wurde schon von {who} bestätigt ({time}).",
        "en": "Alert #{id} was already acknowledged by {who} ({time}).",
    },
    "act.already_resolved": {"de": "Alarm #{id} ist bereits erledigt.", "en": "Alert #{id} is already resolved."},
    "act.missing": {"de": "Einen Alarm #{id} gibt es nicht.", "en": "There is no alert #{id}."},
    "act.forbidden": {
        "de": "Alarm #{id} können nur Mitglieder von {departments} ändern. Fragen dürfen Sie trotzdem alles.",
        "en": "Only members of {departments} can change alert #{id}. You can still ask me anything.",
    },
    "act.which": {
        "de": "Welcher Alarm? Zum Beispiel: „{verb} {id}“.",
        "en": "Which alert? For example: “{verb} {id}”.",
    },
    "silence.done": {
        "de": "Thema „{topic}“ ist für {duration} stummgeschaltet (bis {until}). Neue Alarme dazu erscheinen bis dahin nur im Lageraum und werden danach gemeldet, falls sie noch bestehen.",
        "en": "Topic “{topic}” is muted for {duration} (until {until}). New alerts about it show only in the situation room until then, and are posted then if they still fire.",
    },
    "silence.ended": {
        "de": "Thema „{topic}“ ist nicht mehr stummgeschaltet; zurückgehaltene Alarme dazu werden jetzt gemeldet.",
        "en": "Topic “{topic}” is no longer muted; alerts held back about it are posted now.",
    },
    "silence.none": {
        "de": "Für „{topic}“ gibt es keine Stummschaltung aus dem Chat (in Regeldateien stehende enden nur dort).",
        "en": "There is no chat silence for “{topic}” (silences written in rule files end only there).",
    },
    "silences.header": {"de": "Stummgeschaltet:", "en": "Silenced now:"},
    "silences.none": {"de": "Gerade ist nichts stummgeschaltet.", "en": "Nothing is silenced right now."},
    "silences.everything": {"de": "alle Alarme", "en": "every alert"},
    "silences.chat": {"de": "• {what} bis {until}, von {by}{why}", "en": "• {what} until {until}, by {by}{why}"},
    "silences.file": {"de": "• {what} bis {until}, von {by} (Regeldatei){why}",
                      "en": "• {what} until {until}, by {by} (rule file){why}"},
    "silences.maintenance": {"de": "• Wartungsfenster {name}: {what} bis {until}{why}",
                             "en": "• maintenance window {name}: {what} until {until}{why}"},
    "silence.how_long": {
        "de": "Wie lange? Zum Beispiel: „Thema {topic} für 2h stummschalten“.",
        "en": "For how long? For example: “mute topic {topic} for 2h”.",
    },
    "silence.forbidden": {
        "de": "Stummschalten dürfen nur Mitglieder der Abteilungen.",
        "en": "Only department members can mute topics.",
    },
    "summary.header": {
        "de": "{topic}, letzte {window}: {n} Beiträge, {share} % negativ (davor {before}).",
        "en": "{topic}, last {window}: {n} posts, {share}% negative (the {window} before: {before}).",
    },
    "summary.regions": {"de": "Vor allem aus: {regions}", "en": "Mostly from: {regions}"},
    "summary.quiet": {"de": "Zu „{topic}“ gab es in den letzten {window} keine Beiträge.", "en": "No posts about “{topic}” in the last {window}."},
    "explain.header": {
        "de": "Alarm #{id} kommt von der Regel „{rule}“ ({type}) für {departments}: {description}",
        "en": "Alert #{id} comes from rule “{rule}” ({type}) for {departments}: {description}",
    },
    "explain.spike": {
        "de": "Gemessen: {current} Beiträge in {window}, in den {baseline_window} davor im Schnitt {baseline} je {window}. Sie feuert ab dem {factor}-Fachen und mindestens {min_count} Beiträgen.",
        "en": "Measured: {current} posts in {window}; in the {baseline_window} before, {baseline} per {window} on average. It fires at {factor}× that and at least {min_count} posts.",
    },
    "explain.threshold": {
        "de": "Gemessen: {metric} = {current} in {window}. Sie feuert über {above}.",
        "en": "Measured: {metric} = {current} in {window}. It fires above {above}.",
    },
    "explain.keyword": {
        "de": "Gemessen: {current} Beiträge mit den Begriffen {terms} in {window}. Sie feuert ab {min_count}.",
        "en": "Measured: {current} posts with the terms {terms} in {window}. It fires at {min_count}.",
    },
    "explain.sentiment_shift": {
        "de": "Gemessen: {current} % negativ in {window}, davor {baseline} %. Sie feuert bei +{increase} Prozentpunkten und mindestens {min_count} Beiträgen.",
        "en": "Measured: {current}% negative in {window}, {baseline}% before. It fires at +{increase} points and at least {min_count} posts.",
    },
    "explain.viral_post": {
        "de": "Gemessen: {current} Beiträge mit mehr als {above} erreichten Menschen in {window}.",
        "en": "Measured: {current} posts reaching more than {above} people in {window}.",
    },
    "explain.filters": {"de": "Filter: {filters}", "en": "Filters: {filters}"},
    "explain.gone": {
        "de": "Alarm #{id} kam von der Regel „{rule}“, die es nicht mehr gibt.",
        "en": "Alert #{id} came from rule “{rule}”, which no longer exists.",
    },
    "rules.list": {"de": "{n} Regeln:", "en": "{n} rules:"},
    "rules.line": {"de": "• {name} ({type}) → {departments}", "en": "• {name} ({type}) → {departments}"},
    "rules.reloaded": {"de": "Regeln neu geladen: {n} Regeln aktiv.", "en": "Rules reloaded: {n} rules active."},
    "rules.invalid": {
        "de": "Die Regeln haben Fehler; die bisherigen bleiben aktiv:\n{problems}",
        "en": "The rules have errors; the previous ones stay active:\n{problems}",
    },
    "rules.forbidden": {
        "de": "Regeln neu laden dürfen nur Admins.",
        "en": "Only admins can reload the rules.",
    },
    "summary.which": {
        "de": "Zusammenfassung zu welchem Thema? Zum Beispiel „Zusammenfassung Netzausfall“. Themen: {known}",
        "en": "A summary of which topic? For example “summary outage”. Topics: {known}",
    },
    "summary.unknown": {
        "de": "Das Thema „{name}“ kenne ich nicht. Bekannt: {known}",
        "en": "I don't know the topic “{name}”. Known: {known}",
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
    "oncall.schedule": {"de": "{dept} – Bereitschaftsplan „{schedule}“ ({zone}):", "en": "{dept} – schedule “{schedule}” ({zone}):"},
    "oncall.level": {"de": "Stufe {level} ({rotation}): {who}", "en": "Level {level} ({rotation}): {who}"},
    "oncall.until": {"de": " bis {when}", "en": " until {when}"},
    "oncall.override": {"de": " – Vertretung für {instead}", "en": " – standing in for {instead}"},
    "oncall.override_plain": {"de": " – Vertretung", "en": " – override"},
    "oncall.reason": {"de": " ({reason})", "en": " ({reason})"},
    "time.weekday": {"de": "{weekday} {time}", "en": "{weekday} {time}"},
    "time.date": {"de": "{weekday} {day}.{month_number}. {time}", "en": "{weekday} {day} {month} {time}"},
    "time.weekdays": {"de": "Mo Di Mi Do Fr Sa So", "en": "Mon Tue Wed Thu Fri Sat Sun"},
    "time.months": {"de": "Jan Feb Mär Apr Mai Jun Jul Aug Sep Okt Nov Dez", "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"},
    "help": {
        "de": (
            "Ich beobachte die Social-Media-Kanäle und melde Auffälligkeiten. Fragen Sie mich zum Beispiel:\n"
            "• „offene Alarme“\n• „ack 42“, „erledigt 42“, „stumm 42 2h“, „eskaliere 42“\n"
            "• „Themen“ – was gerade besprochen wird\n• „Zusammenfassung Netzausfall“\n"
            "• „was ist los in Köln in den letzten 2 Stunden?“\n• „Thema Rückruf für 2h stummschalten, weil …“, "
            "„Stummschaltungen“, „Thema Rückruf wieder laut“\n"
            "• „wer hat Bereitschaft?“\n• „erkläre 42“ – warum ein Alarm kam\n• „hilfe“"
        ),
        "en": (
            "I watch the social-media channels and report anything unusual. Ask me, for example:\n"
            "• “open alerts”\n• “ack 42”, “resolve 42”, “mute 42 for 2h”, “escalate 42”\n"
            "• “topics” – what people talk about now\n• “what's trending about the recall in the last 2 hours?”\n"
            "• “what's happening in Berlin?”\n• “mute topic recall for 2h because …”, “silences”, “unmute topic recall”\n• “who is on call?”\n• “help”"
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
