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
    "explain.viral_velocity": {
        "de": "Gemessen: {current} Beiträge, die in {window} mehr als {velocity} erreichte Menschen pro Minute dazugewonnen haben.",
        "en": "Measured: {current} posts gaining more than {velocity} people reached a minute in {window}.",
    },
    "explain.viral_both": {
        "de": "Gemessen: {current} Beiträge in {window}, die mehr als {above} Menschen erreichen oder mehr als {velocity} pro Minute dazugewinnen.",
        "en": "Measured: {current} posts in {window} reaching more than {above} people or gaining more than {velocity} a minute.",
    },
    "explain.filters": {"de": "Filter: {filters}", "en": "Filters: {filters}"},
    "explain.new_topic": {
        "de": "Gemessen: {current} Beiträge zu einem neuen Thema in {window}, sonst ≈ {baseline}. Sie feuert ab {min_count}.",
        "en": "Measured: {current} posts about a new topic in {window}, usually ≈ {baseline}. It fires at {min_count}.",
    },
    "explain.flatline": {
        "de": "Gemessen: seit {current} Minuten kein Beitrag, sonst {baseline} pro Stunde. Sie feuert nach {silent} Stille bei Kanälen mit mindestens {rate} Beiträgen pro Stunde.",
        "en": "Measured: no post for {current} minutes, usually {baseline} an hour. It fires after {silent} of silence on channels with at least {rate} posts an hour.",
    },
    "explain.composite": {
        "de": "Sie feuert, wenn {members} innerhalb von {window} zusammen feuern.",
        "en": "It fires when {members} fire together within {window}.",
    },
    "why.spike": {
        "de": "Regel „{rule}“: mindestens {factor}× so viele Beiträge wie üblich (und mindestens {min_count}) in {window}",
        "en": "Rule “{rule}”: at least {factor}× the usual posts (and at least {min_count}) in {window}",
    },
    "why.threshold_count": {
        "de": "Regel „{rule}“: mehr als {above} Beiträge in {window}",
        "en": "Rule “{rule}”: more than {above} posts in {window}",
    },
    "why.threshold_negative_count": {
        "de": "Regel „{rule}“: mehr als {above} negative Beiträge in {window}",
        "en": "Rule “{rule}”: more than {above} negative posts in {window}",
    },
    "why.threshold_negative_share": {
        "de": "Regel „{rule}“: mehr als {above} negative Beiträge in {window} (ab {min_count} Beiträgen)",
        "en": "Rule “{rule}”: more than {above} negative posts in {window} (from {min_count} posts)",
    },
    "why.threshold_reach": {
        "de": "Regel „{rule}“: mehr als {above} erreichte Menschen in {window}",
        "en": "Rule “{rule}”: more than {above} people reached in {window}",
    },
    "why.keyword": {
        "de": "Regel „{rule}“: mindestens {min_count} Beiträge mit {terms} in {window}",
        "en": "Rule “{rule}”: at least {min_count} posts with {terms} in {window}",
    },
    "why.sentiment_shift": {
        "de": "Regel „{rule}“: Anteil negativer Beiträge mindestens {increase} Punkte über dem üblichen (ab {min_count} Beiträgen in {window})",
        "en": "Rule “{rule}”: negative share at least {increase} points above usual (from {min_count} posts in {window})",
    },
    "why.viral_post": {
        "de": "Regel „{rule}“: ein Beitrag erreicht mehr als {above} Menschen",
        "en": "Rule “{rule}”: a post reaches more than {above} people",
    },
    "why.viral_velocity": {
        "de": "Regel „{rule}“: ein Beitrag gewinnt mehr als {velocity} erreichte Menschen pro Minute dazu",
        "en": "Rule “{rule}”: a post gains more than {velocity} people reached a minute",
    },
    "why.viral_both": {
        "de": "Regel „{rule}“: ein Beitrag erreicht mehr als {above} Menschen oder gewinnt mehr als {velocity} pro Minute dazu",
        "en": "Rule “{rule}”: a post reaches more than {above} people or gains more than {velocity} a minute",
    },
    "why.new_topic": {
        "de": "Regel „{rule}“: ein Thema, das kein bekanntes abdeckt, mit mindestens {min_count} Beiträgen in {window}",
        "en": "Rule “{rule}”: a topic no known one covers, with at least {min_count} posts in {window}",
    },
    "why.flatline": {
        "de": "Regel „{rule}“: {silent} kein Beitrag in einem Kanal, der sonst mindestens {rate} pro Stunde hat",
        "en": "Rule “{rule}”: no post for {silent} on a channel that usually has at least {rate} an hour",
    },
    "why.anomaly": {
        "de": "Regel „{rule}“: {metric} je {window} weit weg von dem, was diese Reihe sonst zu dieser Zeit tut (Anomalie-Wert ab {score}, ab {min_count} Beiträgen)",
        "en": "Rule “{rule}”: {metric} per {window} far from what this series usually does at this time (anomaly score from {score}, from {min_count} posts)",
    },
    "explain.anomaly": {
        "de": "Gemessen: {metric} = {current} in den letzten {window}, erwartet ≈ {baseline}. Sie feuert ab einem Anomalie-Wert von {score} (0–1) und mindestens {min_count} Beiträgen in {window}.",
        "en": "Measured: {metric} = {current} in the last {window}, expected ≈ {baseline}. It fires at an anomaly score of {score} (0–1) and at least {min_count} posts in {window}.",
    },
    "anomaly.count": {"de": "Beiträge", "en": "posts"},
    "anomaly.negative_count": {"de": "negative Beiträge", "en": "negative posts"},
    "anomaly.negative_share": {"de": "Anteil negativer Beiträge", "en": "negative share"},
    "anomaly.reach": {"de": "erreichte Menschen", "en": "people reached"},
    "why.composite_all": {
        "de": "Regel „{rule}“: {members} feuern gemeinsam innerhalb von {window}",
        "en": "Rule “{rule}”: {members} fire together within {window}",
    },
    "why.composite_any": {
        "de": "Regel „{rule}“: eine von {members} feuert",
        "en": "Rule “{rule}”: one of {members} fires",
    },
    "why.began": {"de": "Die Veränderung begann gegen {time}", "en": "The change began around {time}"},
    "why.terms": {"de": "Neu gegenüber dem Vortag: {terms}", "en": "New compared with the day before: {terms}"},
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
    # Summaries (bot/summary.py, bot/answers.py; docs/summaries.md).
    "sum.status.normal": {"de": "Normal", "en": "Normal"},
    "sum.status.elevated": {"de": "Erhöht", "en": "Elevated"},
    "sum.status.critical": {"de": "Kritisch", "en": "Critical"},
    "sum.header": {"de": "{light} {status} – {subject}, letzte {window} ({span})",
                   "en": "{light} {status} – {subject}, last {window} ({span})"},
    "sum.subject_both": {"de": "{topic} in {region}", "en": "{topic} in {region}"},
    "sum.size.more.seasonal": {"de": "{n} Beiträge{trend} – {factor}× so viele wie {slot} üblich (sonst ≈ {expected})",
                               "en": "{n} posts{trend} – {factor}× the usual volume for {slot} (usually about {expected})"},
    "sum.size.usual.seasonal": {"de": "{n} Beiträge{trend} – etwa so viele wie {slot} üblich (≈ {expected})",
                                "en": "{n} posts{trend} – about the usual volume for {slot} (about {expected})"},
    "sum.size.less.seasonal": {"de": "{n} Beiträge{trend} – weniger als {slot} üblich (sonst ≈ {expected})",
                               "en": "{n} posts{trend} – less than usual for {slot} (usually about {expected})"},
    "sum.size.rare.seasonal": {"de": "{n} Beiträge{trend} – {slot} sonst fast keine",
                               "en": "{n} posts{trend} – usually almost none for {slot}"},
    "sum.size.more.before": {"de": "{n} Beiträge{trend} – {factor}× so viele wie in den {span} davor (dort ≈ {expected} je {window})",
                             "en": "{n} posts{trend} – {factor}× the rate of the {span} before (about {expected} per {window} then)"},
    "sum.size.usual.before": {"de": "{n} Beiträge{trend} – etwa so viele wie in den {span} davor (≈ {expected} je {window})",
                              "en": "{n} posts{trend} – about the rate of the {span} before (about {expected} per {window})"},
    "sum.size.less.before": {"de": "{n} Beiträge{trend} – weniger als in den {span} davor (dort ≈ {expected} je {window})",
                             "en": "{n} posts{trend} – fewer than in the {span} before (about {expected} per {window} then)"},
    "sum.size.rare.before": {"de": "{n} Beiträge{trend} – in den {span} davor fast keine",
                             "en": "{n} posts{trend} – almost none in the {span} before"},
    "sum.size.none": {"de": "{n} Beiträge{trend} – noch keine Vergleichswerte", "en": "{n} posts{trend} – nothing to compare with yet"},
    "sum.rising": {"de": " (zunehmend: {first} → {second})", "en": " (rising: {first} → {second})"},
    "sum.falling": {"de": " (abnehmend: {first} → {second})", "en": " (falling: {first} → {second})"},
    # The comparison slot: "an einem Dienstagvormittag" / "a Tuesday morning". Parts of the day by local hour:
    # night 22-5 (before 5: the previous day's night), early morning 5-9, morning 9-12, midday 12-14,
    # afternoon 14-18, evening 18-22.
    "sum.weekdays": {"de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
                     "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"},
    "sum.parts": {"de": "Nacht Morgen Vormittag Mittag Nachmittag Abend", "en": "night morning morning midday afternoon evening"},
    "sum.part_articles": {"de": "in einer|an einem|an einem|an einem|an einem|an einem", "en": "a|a|a|a|an|an"},
    "sum.slot.weekday_part": {"de": "{article} {weekday}{part}", "en": "a {weekday} {part}"},
    "sum.slot.part": {"de": "{article} {part}", "en": "{article} {part}"},
    "sum.slot.weekday": {"de": "an einem {weekday}", "en": "a {weekday}"},
    "sum.slot.weeks": {"de": "zur selben Zeit in den Wochen davor", "en": "this time in the weeks before"},
    "sum.slot.days": {"de": "zur selben Zeit an den Tagen davor", "en": "this time on the days before"},
    "sum.where": {"de": "Wo: {regions}", "en": "Where: {regions}"},
    "sum.topics": {"de": "Themen: {topics}", "en": "Topics: {topics}"},
    "sum.channels": {"de": "Kanäle: {channels}", "en": "Channels: {channels}"},
    "sum.terms": {"de": "Stichworte: {terms}", "en": "Key words: {terms}"},
    "sum.no_region": {"de": "ohne erkennbare Region", "en": "no region recognised"},
    "sum.no_topic": {"de": "kein bekanntes Thema", "en": "no known topic"},
    "sum.mood": {"de": "Stimmung: {share} % negativ{usual}{trend}", "en": "Mood: {share}% negative{usual}{trend}"},
    "sum.mood.usual": {"de": " (sonst {share} %)", "en": " (usually {share}%)"},
    "sum.trend.worse": {"de": " – wird schlechter ({first} % → {second} %)", "en": " – getting worse ({first}% → {second}%)"},
    "sum.trend.better": {"de": " – bessert sich ({first} % → {second} %)", "en": " – easing ({first}% → {second}%)"},
    "sum.trend.steady": {"de": " – gleichbleibend", "en": " – steady"},
    "sum.reach": {"de": "Reichweite: ≈ {reach} Menschen{widest}", "en": "Reach: about {reach} people{widest}"},
    "sum.reach.widest": {"de": "; am weitesten: „{text}“ (≈ {reach}){url}", "en": "; furthest: “{text}” (about {reach}){url}"},
    "sum.post": {"de": "• „{text}“{url}", "en": "• “{text}”{url}"},
    "sum.post_reach": {"de": "• ≈ {reach}: „{text}“{url}", "en": "• about {reach}: “{text}”{url}"},
    "sum.alert.acked": {"de": "Alarm #{id} ({severity}) – bestätigt von {who} um {time}",
                        "en": "Alert #{id} ({severity}) – acknowledged by {who} at {time}"},
    "sum.alert.firing": {"de": "Alarm #{id} ({severity}) seit {time} offen, noch nicht bestätigt{oncall}",
                         "en": "Alert #{id} ({severity}) open since {time}, not acknowledged yet{oncall}"},
    "sum.alert.oncall": {"de": " – Bereitschaft: {who}", "en": " – on call: {who}"},
    "sum.alert.resolved": {"de": "Alarm #{id} ({severity}) – erledigt um {time}", "en": "Alert #{id} ({severity}) – resolved at {time}"},
    "sum.alert.others": {"de": " (+{n} weitere)", "en": " (+{n} more)"},
    "sum.alert.none": {"de": "Kein offener Alarm dazu.", "en": "No open alert about it."},
    "sum.more_hint": {"de": "Mehr: „mehr“", "en": "More: “more”"},
    "sum.quiet": {"de": "Keine Beiträge in diesem Zeitraum{usual}.", "en": "No posts in this period{usual}."},
    "sum.quiet.usual": {"de": " (sonst ≈ {expected})", "en": " (usually about {expected})"},
    "sum.normal.seasonal": {"de": "Normal: Mittel derselben Uhrzeit vor {days} Tagen",
                            "en": "Normal: the mean of the same time {days} days before"},
    "sum.normal.before": {"de": "Normal: die {span} davor (ohne Verlauf zu dieser Uhrzeit)",
                          "en": "Normal: the {span} before (no history at this time of day yet)"},
    "sum.normal.none": {"de": "Normal: noch keine Vergleichswerte (keine früheren Beiträge)",
                        "en": "Normal: nothing to compare with yet (no earlier posts)"},
    "sum.table.hour": {"de": "Verlauf je Stunde (Beiträge · negativ · normal):", "en": "Per hour (posts · negative · normal):"},
    "sum.table.day": {"de": "Verlauf je Tag (Beiträge · negativ · normal):", "en": "Per day (posts · negative · normal):"},
    "sum.widest": {"de": "Größte Reichweite:", "en": "Largest audience:"},
    "sum.examples": {"de": "Typische Beiträge ({method}, aus {pool} von {matched} Beiträgen gewählt):",
                     "en": "Typical posts ({method}, chosen from {pool} of {matched} posts):"},
    "sum.method.embedding": {"de": "nach Bedeutung", "en": "by meaning"},
    "sum.method.shingles": {"de": "nach Wortlaut", "en": "by wording"},
    "sum.method.none": {"de": "–", "en": "–"},
    "sum.alerts": {"de": "Alarme:", "en": "Alerts:"},
    "sum.why": {"de": "Warum {status}: {reasons}", "en": "Why {status}: {reasons}"},
    "sum.reason.alert_critical": {"de": "ein kritischer Alarm ist offen", "en": "a critical alert is open"},
    "sum.reason.alert": {"de": "ein Alarm ist offen", "en": "an alert is open"},
    "sum.reason.volume_critical": {"de": "mindestens {factor}× so viele Beiträge wie normal", "en": "at least {factor}× the normal volume"},
    "sum.reason.volume": {"de": "mindestens {factor}× so viele Beiträge wie normal", "en": "at least {factor}× the normal volume"},
    "sum.reason.mood": {"de": "deutlich negativer als sonst oder zuvor", "en": "much more negative than usual or than before"},
    "sum.reason.none": {"de": "nichts Auffälliges", "en": "nothing unusual"},
    "sum.unknown": {
        "de": "„{name}“ kenne ich weder als Thema noch als Region. Themen: {topics}. Regionen: {regions}",
        "en": "I don't know the topic or region “{name}”. Topics: {topics}. Regions: {regions}",
    },
    "sum.nothing": {
        "de": "Wovon mehr? Fragen Sie zuerst nach einer Zusammenfassung, z. B. „Zusammenfassung Netzausfall“.",
        "en": "More of what? Ask for a summary first, e.g. “summary outage”.",
    },
    "alerts.none": {"de": "Keine offenen Alarme. 🎉", "en": "No open alerts. 🎉"},
    "alerts.header": {"de": "{n} offene Alarme:", "en": "{n} open alerts:"},
    "alerts.header_one": {"de": "1 offener Alarm:", "en": "1 open alert:"},
    "alerts.line": {"de": "#{id} {severity} · {title} · {status}", "en": "#{id} {severity} · {title} · {status}"},
    "topics.header": {
        "de": "Themen der letzten {window} (Beiträge, davon negativ):",
        "en": "Topics in the last {window} (posts, of which negative):",
    },
    "topics.line": {"de": "• {title}: {n} ({neg} negativ)", "en": "• {title}: {n} ({neg} negative)"},
    "topics.none": {"de": "In den letzten {window} keine Beiträge.", "en": "No posts in the last {window}."},
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
            "• „Themen“ – was gerade besprochen wird\n• „Zusammenfassung Netzausfall letzte 2 Stunden“, dann „mehr“\n"
            "• „was ist los in Köln?“\n• „Thema Rückruf für 2h stummschalten, weil …“, "
            "„Stummschaltungen“, „Thema Rückruf wieder laut“\n"
            "• „wer hat Bereitschaft?“\n• „erkläre 42“ – warum ein Alarm kam\n• „hilfe“"
        ),
        "en": (
            "I watch the social-media channels and report anything unusual. Ask me, for example:\n"
            "• “open alerts”\n• “ack 42”, “resolve 42”, “mute 42 for 2h”, “escalate 42”\n"
            "• “topics” – what people talk about now\n• “summary outage last 2 hours”, then “more”\n"
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
