"""Text templates and slot values for the demo day: data only, filled in by scenario.py.

Template syntax: `{slot}` is filled by a slot function in scenario.py; `{a|b|c}` picks one
alternative (an empty alternative makes the part optional).
"""

# (German name, English name, lat, lon, weight) — weight ~ how often people there post.
CITIES = [
    ("Berlin", "Berlin", 52.520, 13.405, 12), ("Hamburg", "Hamburg", 53.551, 9.994, 7),
    ("München", "Munich", 48.137, 11.575, 6), ("Köln", "Cologne", 50.938, 6.960, 5),
    ("Frankfurt", "Frankfurt", 50.110, 8.682, 4), ("Stuttgart", "Stuttgart", 48.776, 9.183, 3),
    ("Düsseldorf", "Düsseldorf", 51.227, 6.774, 3), ("Leipzig", "Leipzig", 51.340, 12.375, 3),
    ("Dresden", "Dresden", 51.050, 13.738, 3), ("Dortmund", "Dortmund", 51.514, 7.468, 2),
    ("Essen", "Essen", 51.456, 7.012, 2), ("Bonn", "Bonn", 50.737, 7.098, 2),
    ("Hannover", "Hanover", 52.376, 9.732, 2), ("Nürnberg", "Nuremberg", 49.452, 11.077, 2),
    ("Bremen", "Bremen", 53.079, 8.802, 2), ("Bochum", "Bochum", 51.482, 7.216, 1),
    ("Duisburg", "Duisburg", 51.434, 6.762, 1), ("Gelsenkirchen", "Gelsenkirchen", 51.518, 7.086, 1),
    ("Kiel", "Kiel", 54.323, 10.123, 1), ("Rostock", "Rostock", 54.092, 12.099, 1),
    ("Freiburg", "Freiburg", 47.999, 7.842, 1), ("Münster", "Münster", 51.961, 7.626, 1),
    ("Mainz", "Mainz", 49.993, 8.247, 1), ("Wiesbaden", "Wiesbaden", 50.078, 8.240, 1),
    ("Darmstadt", "Darmstadt", 49.872, 8.651, 1), ("Augsburg", "Augsburg", 48.371, 10.898, 1),
    ("Karlsruhe", "Karlsruhe", 49.007, 8.404, 1), ("Mannheim", "Mannheim", 49.487, 8.466, 1),
    ("Aachen", "Aachen", 50.776, 6.084, 1), ("Potsdam", "Potsdam", 52.391, 13.064, 1),
    ("Erfurt", "Erfurt", 50.978, 11.029, 1), ("Magdeburg", "Magdeburg", 52.131, 11.640, 1),
    ("Chemnitz", "Chemnitz", 50.833, 12.925, 1), ("Regensburg", "Regensburg", 49.013, 12.101, 1),
    ("Kassel", "Kassel", 51.312, 9.480, 1), ("Ulm", "Ulm", 48.401, 9.987, 1),
    ("Saarbrücken", "Saarbrücken", 49.240, 6.997, 1), ("Esslingen", "Esslingen", 48.740, 9.310, 1),
]

# Places in the Köln/Bonn region (the outage); must match config.yaml's koeln_bonn places.
OUTAGE_PLACES = [
    ("Köln", "Cologne", 50.938, 6.960, 10), ("Bonn", "Bonn", 50.737, 7.098, 6),
    ("Leverkusen", "Leverkusen", 51.030, 6.984, 2), ("Bergisch Gladbach", "Bergisch Gladbach", 50.992, 7.127, 2),
    ("Siegburg", "Siegburg", 50.800, 7.205, 1), ("Troisdorf", "Troisdorf", 50.816, 7.156, 1),
    ("Sankt Augustin", "Sankt Augustin", 50.775, 7.187, 1), ("Hürth", "Hürth", 50.877, 6.876, 1),
    ("Brühl", "Brühl", 50.829, 6.905, 1), ("Frechen", "Frechen", 50.912, 6.810, 1),
    ("Pulheim", "Pulheim", 51.000, 6.800, 1), ("Königswinter", "Königswinter", 50.674, 7.190, 1),
    ("Köln-Ehrenfeld", "Ehrenfeld, Cologne", 50.949, 6.920, 2), ("Deutz", "Deutz", 50.936, 6.975, 1),
    ("Nippes", "Nippes", 50.965, 6.955, 1), ("Köln-Kalk", "Kalk", 50.940, 7.000, 1),
    ("Porz", "Porz", 50.880, 7.060, 1), ("Bad Godesberg", "Bad Godesberg", 50.685, 7.155, 1),
    ("Beuel", "Beuel", 50.735, 7.130, 1),
]

PHONES = ["Telvia Nova 5", "Nova 5", "Nova 5 Pro", "Telvia Nova 4", "Telvia Pico 2", "Telvia Air S",
          "Nova 4", "Pico 2"]
TARIFFS = ["Flex M", "Flex L", "Flex XL", "Unlimited Max", "Young S", "Prepaid Smart", "Family Card",
           "Zuhause 250", "Glasfaser 500", "Glasfaser 1000"]
ROUTERS = ["Telvia Box 7", "Box 7", "Telvia Box 6", "Mesh-Repeater"]
SCAM_LINKS = ["telvia-rechnung.info/k", "telvia-kundenportal.net/login", "tlvia-pay.com/r",
              "telvia.konto-check.eu/", "mein-telvia-service.org/p", "telvia-erstattung.de-id.top/"]
FIRST_DE = ["Jana", "Lukas", "Sophie", "Felix", "Marie", "Jonas", "Lea", "Tim", "Anna", "Paul", "Laura",
            "Niklas", "Hannah", "Leon", "Julia", "Finn", "Katrin", "Stefan", "Sabine", "Thomas", "Ayşe",
            "Mehmet", "Olga", "Dirk", "Uwe", "Birgit", "Kerstin", "Jörg", "Svenja", "Malte", "Emre",
            "Zeynep", "Piotr", "Ines", "Carsten", "Mareike", "Björn", "Till", "Frieda", "Ole"]
LAST_DE = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
           "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Braun", "Zimmermann",
           "Krüger", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler", "Yıldız", "Kowalski",
           "Peters", "Vogel", "Jansen", "Brandt", "Kaya", "Seidel", "Engel", "Kuhn"]
FIRST_EN = ["James", "Emily", "Oliver", "Chloe", "Daniel", "Sarah", "Ryan", "Megan", "Ethan", "Grace",
            "Aiden", "Priya", "Carlos", "Ana", "Liam", "Noor", "Marco", "Elena", "Tom", "Jessica"]
LAST_EN = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Evans", "Murphy", "Walsh", "Patel",
           "García", "Rossi", "Novak", "O'Brien", "Clarke", "Hughes", "Kim", "Silva", "Bennett"]

# Accounts with reach: (id, handle, name, followers, language). All fictional.
INFLUENCERS = [
    ("u_kabelsalat", "kabelsalat_blog", "Kabelsalat – Tech-Blog", 48_000, "de"),
    ("u_lenavogt", "lenavogt_tech", "Lena Vogt (Tech-Redakteurin)", 121_000, "de"),
    ("u_funkturm", "funkturm_mag", "Funkturm Magazin", 310_000, "de"),
    ("u_ellison", "mark_ellison_tech", "Mark Ellison", 95_000, "en"),
    ("u_rheinblick", "rheinblick_news", "Rheinblick Nachrichten", 212_000, "de"),
    ("u_nordlicht", "nordlicht_meldet", "Nordlicht meldet", 64_000, "de"),
    ("u_gadgetgarten", "gadgetgarten", "Gadget Garden", 655_000, "en"),
    ("u_lupe", "verbraucher_lupe", "Verbraucher-Lupe", 83_000, "de"),
]
# Openers and closers people add around what they say: more variety for free.
OPENERS = {"de": ["Hallo,", "Hi,", "Moin!", "Servus,", "Kurze Frage:", "Sorry, aber", "Leute,", "Ey", "Guten Abend,", "Hey"],
           "en": ["Hi,", "Hey", "Quick question:", "Hello,", "Ok so", "Guys,", "Hm,"]}
CLOSERS = {"de": ["Danke!", "LG", "Danke im Voraus", "Gruß aus {city}", "Bitte um Antwort.", "Grüße"],
           "en": ["Thanks!", "Cheers", "Thanks in advance", "Please help."]}
SUPPORT = ("u_telviahilfe", "TelviaHilfe", "Telvia Hilfe", 86_400)
BRAND = ("u_telvia", "Telvia", "Telvia", 412_000)
SUPPORT_SIGS = ["/ak", "/mj", "/ts", "/lb", "/rf", "/sn", "/dk"]

EMOJI = {
    "neg": ["😡", "🙄", "😤", "🤬", "😩", "👎", "😒", "🤦‍♂️", "🤦‍♀️", "😠"],
    "pos": ["👍", "🙏", "😊", "🎉", "💪", "❤️", "😍", "👌", "🥳", "✨"],
    "neu": ["🤔", "📱", "🙂", "😅", "👀", "☕", "🤷", "📶"],
}
HASHTAGS = {
    "neg": ["#Telvia", "#Kundenservice", "#fail", "#Telvia", "#Ärger"],
    "pos": ["#Telvia", "#happy", "#Glasfaser", "#5G"],
    "neu": ["#Telvia", "#Frage", "#5G", "#Handy"],
    "outage": ["#TelviaStörung", "#Störung", "#Köln", "#Netzausfall", "#Telvia", "#Bonn", "#outage"],
    "recall": ["#Nova5", "#Rückruf", "#Telvia", "#TelviaNova5", "#recall", "#Akku"],
    "phishing": ["#Phishing", "#Betrug", "#Telvia", "#Warnung", "#scam", "#Smishing"],
}

# Ordinary traffic: category -> language -> templates. (sentiment, share of baseline) below.
BASE = {
    "chatter": {
        "de": [
            "Hallo @Telvia, {wie läuft die Woche|schon Feierabend|alles gut bei euch}? {emoji}",
            "Die neue Telvia-Werbung mit dem Hund ist {echt süß|ganz schön kitschig|ein Ohrwurm} 😂",
            "Wer hat auch das {phone} und kann es empfehlen?",
            "Endlich 5G bei mir in {city}. Mal schauen ob man was merkt",
            "Hab mir heute das {phone} geholt. {Erster Eindruck: top|Mal sehen|Kamera ist der Hammer}",
            "Gewinnspiel mitgemacht, drückt mir die Daumen {emoji}",
            "Telvia sponsert jetzt auch den Stadtlauf in {city}? Cool",
            "Ist das Telvia-Trikot beim {city}er Handballverein neu?",
            "Ich schau mir grad das Unboxing vom {phone} an, sieht gut aus",
            "Montag. Zug verspätet. Wenigstens der Hotspot läuft {emoji}",
            "Kennt jemand einen guten Telvia-Shop in {city}?",
            "Wie viele GB verbraucht ihr so im Monat? Ich komm mit 15 nie aus",
            "{Haha|Lol} die Antwort von @TelviaHilfe auf den Tweet gestern war gut",
            "Mein Opa hat jetzt ein Smartphone. Wünscht mir Glück {emoji}",
            "Bin gespannt auf den Black Friday bei Telvia",
            "Wechsel zu Telvia überlegt. Erfahrungen in {city}?",
            "Warum ist die Telvia-App heute so langsam? Oder nur bei mir",
            "Heute im Shop in {city} gewesen, war {voll|leer|ganz okay}",
            "Kann man beim {phone} die Kamera-App ändern? Frage für einen Freund 😅",
            "Wer hat den Telvia-Adventskalender schon gesehen?",
            "Schönes Wetter in {city} heute. Hat nix mit Telvia zu tun, wollte ich nur sagen",
            "Ist {tariff} eigentlich {gut|sein Geld wert|zu empfehlen}?",
            "Hab gerade {n}0 GB Datenvolumen übrig und der Monat ist fast vorbei 😎",
        ],
        "en": [
            "Hey @Telvia, {how's it going|love the new app design|any deals this week}? {emoji}",
            "That new Telvia ad with the dog is {adorable|so cheesy|stuck in my head} 😂",
            "Anyone here using the {phone}? Worth it?",
            "Finally got 5G in {city}. Let's see if it's any faster",
            "Picked up the {phone} today, {camera is amazing|first impressions are good|let's see}",
            "Just moved to {city}, thinking about getting a Telvia SIM. Any tips?",
            "Is there a Telvia shop near the main station in {city}?",
            "How much data do you all use per month? 20GB never lasts me",
            "Watching reviews of the {phone} instead of working {emoji}",
            "Black Friday deals from Telvia coming soon?",
            "Telvia sponsoring the {city} marathon this year, nice",
            "lol the @TelviaHilfe replies are getting sassy",
            "Anyone else's Telvia app slow today or just me?",
            "Visited the Telvia store in {city}, {pretty busy|quiet|nice staff}",
            "Is {tariff} {worth it|any good} for someone who travels a lot?",
            "New in Germany, Telvia or something else? Living in {city}",
        ],
    },
    "question": {
        "de": [
            "@TelviaHilfe Kann ich meinen Tarif {tariff} vorzeitig wechseln?",
            "Wie aktiviere ich die eSIM auf dem {phone}? Die Anleitung hilft mir nicht",
            "Gilt der {tariff} auch in der Schweiz? Bin nächste Woche in Zürich",
            "Wann endet meine Vertragslaufzeit? Finde das nirgends in der App",
            "Kann man bei euch die Rufnummer mitnehmen? Komme von einem anderen Anbieter",
            "Wie kündige ich meinen Vertrag, geht das online?",
            "Gibt es den {tariff} auch ohne Handy?",
            "Mein Datenvolumen ist schon aufgebraucht, was kostet eine Nachbuchung?",
            "Hallo, wie ändere ich meine Bankverbindung in der Telvia-App?",
            "Kann ich eine zweite SIM für die Smartwatch bekommen?",
            "Seit dem Update zeigt die App meinen Verbrauch nicht mehr an. Bug?",
            "Ist WLAN Call bei {tariff} dabei?",
            "Frage: wie lange dauert die Portierung der Nummer ungefähr?",
            "Wo sehe ich meine PUK? Handy ist gesperrt {emoji}",
            "Lohnt sich die Vertragsverlängerung oder lieber SIM-only?",
            "Kann ich {tariff} auch für meinen Sohn abschließen? Er ist {n}",
            "Bekomme ich bei Verlängerung ein neues {phone} dazu?",
            "Multi-SIM für das Tablet, geht das mit {tariff}?",
            "Warum kann ich in der App meine Adresse nicht ändern? Bin nach {city} gezogen",
            "Gibt es eine Hotline auf Englisch für meine Mitbewohnerin?",
            "Wie viel kostet die Vertragsübernahme auf meinen Mann?",
        ],
        "en": [
            "@TelviaHilfe can I switch from {tariff} to a bigger plan mid-contract?",
            "How do I set up an eSIM on the {phone}?",
            "Does {tariff} include roaming in the UK?",
            "Can I keep my number if I move to Telvia?",
            "How do I cancel my contract online?",
            "Is there an English version of the Telvia app?",
            "Do you have a student discount on {tariff}?",
            "Where do I find my PUK code? Phone is locked",
            "Ran out of data already, how much is an extra 5GB?",
            "Does {tariff} come with Wi-Fi calling?",
            "Just moved to {city}, how do I change my address in the app?",
            "Can I get a second SIM for my tablet on {tariff}?",
            "What happens to my number if I cancel {tariff}?",
            "{I can't recall|I forgot|I don't remember} my customer number, where do I find it?",
        ],
    },
    "billing": {
        "de": [
            "Warum ist meine Rechnung {diesen Monat|schon wieder} {amount} € höher? @TelviaHilfe",
            "Ihr habt doppelt abgebucht!! Wann bekomme ich das Geld zurück?",
            "Mahnung bekommen obwohl die Lastschrift durch ist. {Was soll das|Ernsthaft}?",
            "Wo finde ich die Rechnung als PDF?",
            "Gutschrift seit {n} Wochen versprochen, nichts passiert {emoji}",
            "Drittanbieter-Abo auf der Rechnung, das hab ich nie abgeschlossen!",
            "Rechnung ist da, {amount} € für einen Monat {tariff}? {Versteh ich nicht|Das ist doch Betrug|Frechheit|Ernsthaft|Bitte erklären}",
            "Wie kann ich die Drittanbietersperre einrichten?",
            "Wieso kostet {tariff} plötzlich mehr? Preiserhöhung ohne Info?",
            "Lastschrift geplatzt, weil ihr zu früh abgebucht habt. Wer zahlt die Gebühr?",
            "Rechnung kam {diesmal|schon wieder} nicht per Mail. {Warum|Bitte prüfen}",
            "Erstattung für den Ausfall letzte Woche, bekomme ich da was gutgeschrieben?",
            "Habe gekündigt und bekomme trotzdem noch eine Rechnung über {amount} €",
            "Roaming-Kosten von {amount} € aus dem Urlaub. Dabei war Roaming doch inklusive?!",
        ],
        "en": [
            "Why is my bill {amount} higher this month? @TelviaHilfe",
            "You charged me twice this month, when do I get a refund?",
            "Got a reminder letter even though I paid. What's going on?",
            "Where can I download my invoice as PDF?",
            "There's a subscription on my bill I never signed up for",
            "Price of {tariff} went up without any notice?",
            "I cancelled but still got a bill for €{amount}",
            "Roaming charges of €{amount} from my holiday, I thought it was included?",
        ],
    },
    "service": {
        "de": [
            "Seit {mins} Minuten in der Warteschleife. {Ernsthaft|Das ist doch ein Witz|Danke für nichts} {emoji}",
            "Mir wurde ein Rückruf versprochen. Das war {letzte Woche|vor 3 Tagen|am Freitag}. Nichts.",
            "Großes Lob an die Mitarbeiterin im Shop in {city}, super Beratung!",
            "Der Chat-Support hat mein Problem in 5 Minuten gelöst. Danke @TelviaHilfe",
            "Warum muss ich am Telefon dreimal meine Kundennummer sagen?",
            "@TelviaHilfe Ich warte seit {n} Tagen auf eine Antwort auf meine DM",
            "Die Hotline hat einfach aufgelegt. Zum {n}. Mal.",
            "Der Rückruf kam tatsächlich pünktlich. Hätte ich nicht gedacht {emoji}",
            "Im Shop in {city} wusste keiner Bescheid. Schickt mich zur Hotline, Hotline schickt mich zum Shop.",
            "Danke für die schnelle Hilfe per DM!",
            "Drei Mitarbeiter, drei verschiedene Aussagen. Super {emoji}",
            "Im Chat hieß es 24 Stunden, jetzt sind es {n} Tage",
            "Warum gibt es keine Hotline am Sonntag?",
            "Hab endlich jemanden erreicht, {sehr freundlich|super kompetent|hat aber nichts gebracht}",
            "Kündigung per Brief geschickt, keine Bestätigung bekommen. Hallo?",
        ],
        "en": [
            "On hold for {mins} minutes. {Seriously|Unbelievable} {emoji}",
            "They promised to call me back. Never happened.",
            "Shoutout to the staff at the Telvia shop in {city}, really helpful",
            "Support chat fixed my issue in five minutes, thanks @TelviaHilfe",
            "@TelviaHilfe still waiting for a reply to my DM from {n} days ago",
            "Hotline hung up on me. Again.",
            "Three agents, three different answers. Great {emoji}",
            "Finally got through, {very friendly|really helpful|didn't help at all}",
        ],
    },
    "fiber": {
        "de": [
            "Der Techniker für den Glasfaser-Anschluss ist {wieder nicht|heute nicht} gekommen {emoji}",
            "Glasfaser seit gestern aktiv. {Läuft|Traumhaft|950 Mbit im Speedtest} {emoji}",
            "Wann wird mein Anschluss in {city} endlich freigeschaltet? Termin war vor {n} Wochen",
            "Die {router} blinkt rot, Internet zu Hause geht nicht",
            "Bautermin für Glasfaser in {city} schon wieder verschoben",
            "WLAN im Homeoffice bricht ständig ab. Liegt es an der {router}?",
            "Wie lange dauert der Glasfaser-Ausbau in {city} noch?",
            "Internet zu Hause seit heute Nachmittag weg. Hotline sagt Störung am Verteiler.",
            "Glasfaser liegt im Keller, aber die Wohnung ist noch nicht angeschlossen. Seit {n} Monaten!",
            "Telvia-Bautrupp hat den Gehweg in {city} aufgerissen und ist weg 🙃",
            "Speedtest sagt {n}0 Mbit statt 250. Ist das normal mit der {router}?",
            "Umzug nach {city}: wie lange dauert es, bis der Anschluss umgezogen ist?",
        ],
        "en": [
            "The fibre technician didn't show up {again|today} {emoji}",
            "Fibre is live since yesterday, {speeds are great|super happy}!",
            "When is my line in {city} going to be activated?",
            "My {router} keeps blinking red, no internet at home",
            "Speedtest shows {n}0 Mbps instead of 250, is that normal?",
            "Moving to {city}, how long does it take to move my line?",
            "Home wifi keeps dropping. Is it the {router}?",
        ],
    },
    "praise": {
        "de": [
            "Muss auch mal gesagt werden: Netz im Urlaub an der Ostsee war top {emoji}",
            "Seit {n} Jahren bei Telvia und zufrieden. Gibt's auch.",
            "Danke @TelviaHilfe, Problem gelöst! {emoji}",
            "Das {phone} ist echt ein gutes Handy für den Preis",
            "5G in {city} ist schnell, bin beeindruckt",
            "Wechsel zu Telvia war die richtige Entscheidung {emoji}",
            "Neue SIM nach einem Tag da, aktiviert in 2 Minuten. So muss das!",
            "Netz in den Bergen überraschend gut. Respekt, Telvia",
            "Hotline heute: 3 Minuten Wartezeit und Problem gelöst. Geht doch! {emoji}",
            "Die Glasfaser in {city} läuft seit Wochen stabil, zufrieden",
        ],
        "en": [
            "Have to say, Telvia coverage on my road trip was great {emoji}",
            "Thanks @TelviaHilfe, sorted! {emoji}",
            "The {phone} is a solid phone for the price",
            "5G in {city} is seriously fast",
            "Switching to Telvia was the right call {emoji}",
        ],
    },
    "device": {
        "de": [
            "Kommt das Android-Update für das {phone} noch dieses Jahr?",
            "Kamera vom {phone} macht nachts echt gute Fotos",
            "Welche Hülle passt aufs {phone}?",
            "Lieferung vom {phone} verzögert sich, Bestellung seit {n} Tagen",
            "Display vom {phone} gesprungen. Was kostet die Reparatur?",
            "Trade-in für das alte Handy, wie viel bekomme ich?",
            "Ist das {phone} wasserdicht? Mein altes ist im Klo gelandet 🙈",
            "Das {phone} ist leider {ausverkauft|nicht lieferbar} im Shop in {city}",
            "Face-Entsperrung beim {phone} geht mit Brille nicht. Jemand einen Tipp?",
        ],
        "en": [
            "When is the Android update coming for the {phone}?",
            "Which case fits the {phone}?",
            "My {phone} order is delayed by {n} days",
            "Cracked the screen of my {phone}, how much is a repair?",
            "Is the {phone} waterproof? Asking before my beach holiday 🏖️",
        ],
    },
    # Incident vocabulary in calm times: the false-alarm test for rules.
    "noise_network": {
        "de": [
            "Netz heute {echt|mal wieder} schlecht in {city} {emoji}",
            "Im ICE {wieder|mal wieder|wie immer} kein Netz. Deutschland halt.",
            "Kein LTE in {city}, nur Edge? {Ist das normal|Was ist da los}",
            "Funkloch auf der A{n}0, jedes Mal an derselben Stelle",
            "Im Keller vom Büro in {city} hab ich kein Netz, kann man da was machen?",
            "Ist gerade eine Störung in {city}? Internet geht super langsam",
            "In der U-Bahn in {city} kein Empfang {emoji}",
        ],
        "en": [
            "Signal is pretty bad in {city} today {emoji}",
            "No signal on the train again. Classic.",
            "Is there an outage in {city}? Mobile data is crawling",
            "Zero reception in the underground in {city}",
        ],
    },
    "noise_battery": {
        "de": [
            "Wie lange hält der Akku beim {phone} so im Alltag?",
            "Akku vom alten Handy ist durch. Lohnt sich ein Tausch oder gleich das {phone}?",
            "Seit dem Update zieht das {phone} viel Akku, geht das nur mir so?",
            "Handy wird beim Laden ganz schön warm. Normal?",
            "Welches Ladegerät nehmt ihr fürs {phone}?",
            "Akku vom alten Handy ist aufgebläht. Kann ich den im Shop in {city} tauschen lassen?",
        ],
        "en": [
            "How's the battery life on the {phone}?",
            "Battery drains so fast since the last update {emoji}",
            "Phone gets warm when charging, is that normal?",
            "My old phone's battery is swollen, can I recycle it at a Telvia shop?",
        ],
    },
    "noise_phishing": {
        "de": [
            "Komische SMS bekommen, angeblich von Telvia. {Ist das echt|Kennt das wer}?",
            "Schon wieder eine Fake-SMS wegen eines Pakets. Nervt.",
            "@TelviaHilfe schreibt ihr Kunden per WhatsApp an?",
        ],
        "en": [
            "Got a weird text claiming to be from Telvia, legit?",
            "Another parcel scam text today. Ignored it.",
        ],
    },
}
# category -> (sentiment for emoji, weight in baseline, channel weights x_support/x_news/fb_telvia)
BASE_MIX = {
    "chatter": ("neu", 23, (20, 45, 35)), "question": ("neu", 20, (50, 10, 40)),
    "billing": ("neg", 10, (50, 5, 45)), "service": ("neg", 12, (50, 10, 40)),
    "fiber": ("neg", 8, (50, 10, 40)), "praise": ("pos", 10, (25, 40, 35)),
    "device": ("neu", 8, (40, 25, 35)),
}
# Calm-period incident vocabulary: posts per day at scale 1.
NOISE_PER_DAY = {"noise_network": 40, "noise_battery": 22, "noise_phishing": 16}

SUPPORT_REPLY = {
    "de": [
        "Hallo {first}, das tut uns leid! Schreib uns bitte eine DM mit deiner Kundennummer, dann schauen wir nach. {sig}",
        "Hi {first}, danke für dein Feedback. Wir melden uns per DM. {sig}",
        "Hallo {first}, freut uns zu hören! {emoji} {sig}",
        "Hallo {first}, das klären wir gern. Hast du schon in der App unter 'Hilfe' geschaut? {sig}",
    ],
    "en": [
        "Hi {first}, sorry to hear that! Please DM us your customer number and we'll take a look. {sig}",
        "Hi {first}, thanks for the feedback. We'll get back to you via DM. {sig}",
        "Hi {first}, glad to hear it! {emoji} {sig}",
    ],
}
BRAND_POST = {
    "de": [
        "Ab heute funkt 5G+ auch in {city}. Testet es und sagt uns, wie es läuft! 📶",
        "Black-Friday-Woche bei Telvia: {tariff} jetzt 3 Monate zum halben Preis.",
        "Neu im Shop: das {phone} in drei Farben. Welche nehmt ihr?",
        "Wartungsarbeiten heute Nacht 2–4 Uhr: Die Telvia-App ist kurz nicht erreichbar.",
    ],
    "en": [
        "5G+ is now live in {city}! Tell us how fast it is for you 📶",
        "Black Friday week at Telvia: {tariff} at half price for 3 months.",
    ],
}

# Incidents: name -> language -> templates; "support" is Telvia's own reply during the incident.
INCIDENT = {
    "outage": {
        "de": [
            "Kein Netz in {place} {emoji}",
            "{place} seit {ago} kein LTE. {@TelviaHilfe was ist los?|Hallo @TelviaHilfe?|Toll.|Super.|Danke für nichts.}",
            "@TelviaHilfe Störung in {place}? {Nichts geht|Weder Anrufe noch Internet|Nur SOS}",
            "Ist das Netz in {place} komplett down? Weder Anrufe noch Daten",
            "Netzausfall in {place}?? Mein Handy zeigt nur {SOS|'Kein Dienst'|kein Netz}",
            "Kein Netz, kein Internet, nix. {place}, seit {since} Uhr. Homeoffice ade {emoji}",
            "Auch betroffen: {place}, kein Empfang seit {since}",
            "Wann ist die Störung in {place} behoben??",
            "Kann meine Kunden nicht anrufen, kein Netz in {place}. Das kostet mich Geld!",
            "Mein Vater ist in {place} und ich erreiche ihn seit {ago} nicht. Kein Netz dort?",
            "Hier auch! {place}, kein Netz",
            "Bei Kollegen mit anderem Anbieter geht alles, nur Telvia hat in {place} kein Netz",
            "Mobiles Internet in {place} tot. Kartenzahlung im Laden geht auch nicht mehr {emoji}",
            "Totalausfall Mobilfunk in {place}? @Telvia",
            "Funkstille in {place}. Telvia, was ist da los? #TelviaStörung",
        ],
        "viral": [
            (48, "u_rheinblick", "Großstörung bei Telvia: In Köln und Bonn haben seit dem Morgen viele Kundinnen und Kunden kein Netz, auch Notrufe sind betroffen. Telvia bestätigt ein Problem im Mobilfunknetz. #Köln #Bonn #Störung"),
        ],
        "en": [
            "No signal in {place} since {since}. @TelviaHilfe is there an outage?",
            "Telvia network down in {place}? Phone only shows SOS",
            "Is anyone else in {place} without mobile data?",
            "Outage in {place}? Can't make calls at all {emoji}",
            "Same here in {place}, no service",
            "@TelviaHilfe no reception in {place} for {ago} now",
            "Telvia completely dead in {place} this morning",
        ],
        "support": {
            "de": ["Hallo {first}, aktuell gibt es eine Störung im Mobilfunknetz im Raum Köln/Bonn. Unsere Technik arbeitet mit Hochdruck daran. {sig}",
                   "Hallo {first}, die Störung in {place} ist uns bekannt, wir halten dich hier auf dem Laufenden. {sig}"],
            "en": ["Hi {first}, we're aware of a network outage in the Cologne/Bonn area and our engineers are on it. {sig}"],
        },
    },
    "recall": {
        "de": [
            "Stimmt das mit {dem Rückruf|der Rückrufaktion} vom Nova 5? {@TelviaHilfe|Weiß jemand was}?",
            "Mein Nova 5 {wird beim Laden auch extrem heiß|überhitzt beim Laden auch|wird auch so heiß, dass man es kaum anfassen kann|überhitzt ständig} {emoji}",
            "@TelviaHilfe gibt es einen Rückruf für das Telvia Nova 5? Akku überhitzt bei mir",
            "Akku aufgebläht, die Rückseite hebt sich ab. Nova 5, {n} Monate alt.",
            "Soll ich mein Nova 5 jetzt nicht mehr laden? Wegen Brandgefahr?",
            "Das Nova 5 liegt nachts neben dem Bett meiner Tochter. Muss ich mir Sorgen machen??",
            "Rückrufaktion Nova 5 – wo gebe ich das Gerät ab?",
            "Habe gerade gelesen, dass das Nova 5 zurückgerufen wird. Offiziell?",
            "{Fake News?|Übertrieben.|Panikmache.|Also ich weiß nicht.} Mein Nova 5 ist völlig okay, kein Akku-Problem",
            "Meins ist auch aufgebläht!! Nova 5 seit Februar",
            "Telvia, sagt doch endlich was zum Nova 5 Akku!",
            "Wenn das mit {dem Rückruf|der Rückrufaktion} stimmt, will ich ein anderes Gerät, kein repariertes",
            "Nova 5 beim Laden überhitzt, Displayrand verfärbt sich. Foto anbei 📸",
        ],
        "en": [
            "Is the Telvia Nova 5 being recalled? {Heard about battery fires|Anyone know}",
            "My Nova 5 {gets really hot|overheats} when charging too {emoji}",
            "@TelviaHilfe is there a recall on the Nova 5 battery?",
            "Battery on my Nova 5 is swelling, the back is coming off",
            "Not charging my Nova 5 overnight until Telvia says something about the {recall|overheating|battery}",
            "Nova 5 overheating reports everywhere. Recall incoming?",
            "Mine's fine tbh, no overheating on my Nova 5",
        ],
        # (minutes after start, influencer id, text): the posts that make it spread
        "viral": [
            (6, "u_funkturm", "Mehrere Leser melden aufgeblähte und überhitzende Akkus beim Telvia Nova 5. Nach unseren Infos prüft Telvia einen Rückruf. Bitte das Gerät nicht unbeaufsichtigt laden! 🔥📱 #Nova5 #Rückruf"),
            (52, "u_gadgetgarten", "Telvia Nova 5 battery recall? Multiple reports of phones overheating and swelling while charging. Telvia hasn't confirmed yet. Thread 🧵 #Nova5 #recall"),
        ],
        "support": {
            "de": ["Hallo {first}, wir prüfen die Berichte zum Akku des Nova 5 gerade mit dem Hersteller. Ein Rückruf ist bisher nicht bestätigt. {sig}",
                   "Hallo {first}, wenn dein Nova 5 ungewöhnlich heiß wird, lade es bitte nicht weiter und melde dich per DM. {sig}"],
            "en": ["Hi {first}, we're looking into the Nova 5 battery reports with the manufacturer. No recall has been confirmed yet. {sig}"],
        },
    },
    "phishing": {
        "de": [
            "Achtung: SMS 'Ihre Telvia Rechnung über {amount} € ist offen, zahlen Sie unter {link}' – das ist Phishing!",
            "Habe gerade eine SMS bekommen: 'Telvia: Ihr Paket konnte nicht zugestellt werden' mit Link. Ist das echt?",
            "@TelviaHilfe ist diese Mail von euch? Betreff 'Rechnung fällig', Link zu {link}",
            "Anruf angeblich von Telvia, wollten meine Bankdaten. {Aufgelegt|Nicht mit mir} {emoji}",
            "Schon die {dritte|zweite|vierte} Fake-SMS heute im Namen von Telvia",
            "Meine Mutter hat auf den Link in der Telvia-SMS geklickt und ihre Daten eingegeben. Was jetzt??",
            "Telvia-Rechnung per SMS mit Link {link} – echt oder Fake?",
            "Warnt eure Kunden bitte! Gefälschte Telvia-SMS mit Link gehen rum #Phishing",
            "SMS: 'Telvia Erstattung {amount} €, hier bestätigen'. Betrug, oder?",
            "Gerade Phishing-SMS bekommen, Absender 'Telvia'. Link führt auf {link}",
            "Ist die Nachricht mit der offenen Telvia Rechnung echt? Kommt mir komisch vor",
        ],
        "viral": [
            (35, "u_lupe", "Warnung: Gerade gehen massenhaft gefälschte SMS im Namen von Telvia herum ('Ihre Rechnung ist offen', mit Link). Nicht klicken, keine Daten eingeben! #Phishing #Telvia"),
        ],
        "en": [
            "Got a text 'Telvia: your bill of €{amount} is overdue, pay now at {link}'. Scam, right?",
            "Is this Telvia SMS legit? Link goes to {link}",
            "Phishing alert: fake Telvia invoices going around by SMS {emoji}",
            "Someone called pretending to be Telvia and asked for my PIN",
            "@TelviaHilfe is this email about a Telvia refund real?",
            "Clicked a link in a fake Telvia text before realising. What do I do?",
        ],
        "support": {
            "de": ["Hallo {first}, diese SMS ist nicht von uns! Bitte nicht auf den Link klicken und die Nachricht löschen. Wir fragen nie per SMS nach Zahlungsdaten. {sig}",
                   "Hallo {first}, das ist Phishing. Falls du Daten eingegeben hast, ändere bitte sofort dein Passwort und melde dich per DM. {sig}"],
            "en": ["Hi {first}, that message is not from us. Please don't click the link and delete it. We never ask for payment details by SMS. {sig}"],
        },
    },
}
