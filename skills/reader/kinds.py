"""What each kind of question asks for, and what a sentence that answers it carries."""

from __future__ import annotations

import re

_NUMBER_WORDS = (
    r"(?:\d+(?:[.,]\d+)?|eine[mnrs]?|ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|"
    r"zwölf|fünfzehn|zwanzig|dreißig|vierzig|fünfzig|sechzig|neunzig|hundert|tausend|halbe[nmr]?|"
    r"beide[nr]?|wenige[nr]?|mehrere[nr]?)"
)
# Numbers that count (no articles: "eine Beschäftigte" counts nobody).
NUMERALS = (
    r"(?:\d+(?:[.,]\d+)?|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|fünfzehn|"
    r"zwanzig|dreißig|vierzig|fünfzig|sechzig|neunzig|hundert|tausend|beide[nr]?|mehrere[nr]?)"
)
UNITS = (
    r"(?:Jahre?n?|Monate?n?|Wochen?|Tage?n?|Arbeitstage?n?|Kalendertage?n?|Werktage?n?|"
    r"Stunden?|Minuten?|Quartale?n?|Semester)"
)
# A span of clock times answers "wie lange" too: "von 9:00 Uhr bis 13:00 Uhr".
_CLOCK_SPAN = r"\bvon\s+\d{1,2}(?:[:.]\d{2})?\s*(?:Uhr\s+)?bis\s+\d{1,2}(?:[:.]\d{2})?\s*Uhr\b"
_DURATION = (
    rf"\b{_NUMBER_WORDS}\s+(?:\w+\s+)?{UNITS}\b|\b\w*(?:tägig|stündig|wöchig|monatig|jährig)"
    rf"\w*|\b(?:unverzüglich|sofort|vorher|Vortag|Vorjahr|befristet|unbefristet)\b|{_CLOCK_SPAN}"
)
# A number and what it counts or measures: "höchstens 150 Zeichen", "12 Punkt", "sechs Monaten".
_MEASURE = rf"\b{_NUMBER_WORDS}\s+(?:[\w-]+\s+)?(?-i:[A-ZÄÖÜ])\w+"
_MONTHS = r"(?:Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember)"
_WEEKDAYS = r"(?:montags?|dienstags?|mittwochs?|donnerstags?|freitags?|samstags?|sonntags?)"
# A duration answers "wann" only when it is anchored to a point ("nach 90 Tagen", "innerhalb von
# vier Wochen", "drei Wochen vor der Sitzung", "zwei Jahre gültig"); "dauert drei Stunden" does not.
_ANCHORED_DURATION = (
    rf"\b(?:nach|innerhalb|binnen|vor|spätestens|frühestens|seit|ab|alle|bis\s+zu|von)\s+"
    rf"(?:\w+\s+){{0,2}}?{_NUMBER_WORDS}\s+(?:\w+\s+)?{UNITS}\b"
    rf"|\b{_NUMBER_WORDS}\s+(?:\w+\s+)?{UNITS}\s+(?:vor|nach|vorher|später|früher|lang|gültig|"
    r"befristet)\b|\b(?:unverzüglich|sofort|vorher|Vortag|Vorjahr)\b"
)
# A day and a month that exist: "1.3.", "01.01.2027" — not "Raum 2.17." or "Abschnitt 4.5.".
_DAY_MONTH = r"\b(?:0?[1-9]|[12]\d|3[01])\.\s?(?:0?[1-9]|1[0-2])\."
_DATE = (
    rf"{_ANCHORED_DURATION}|{_DAY_MONTH}(?:\s?\d{{2,4}})?|\b\d{{1,2}}(?::\d{{2}})?\s*Uhr\b"
    rf"|\b\d{{1,2}}\.\s{_MONTHS}|\b{_MONTHS}\s\d{{4}}|\b{_WEEKDAYS}\b|\b(?:19|20)\d\d\b"
    r"|\b(?:bis|ab|seit|spätestens|frühestens|vor|nach|innerhalb|am|zum|zur|bei)\s+"
    r"(?:de[mnr]\s+|zu[mr]\s+|eine[mnr]?\s+)?(?:\w+\s+)?(?:Beginn|Ende|Ablauf|Abschluss|Tag|"
    r"Sitzung|Jahresende|Monatsende|Unterzeichnung|Inkrafttreten|Eingang|Zugang)\w*"
    r"|\berst\b.{0,80}?\b(?:wenn|nachdem|sobald)\b|\bsobald\b|\bin\s+Kraft\b|\bjederzeit\b"
)
# Times of day and opening hours: "dienstags von 9:00 Uhr bis 12:00 Uhr", "werktags ab 7 Uhr".
_TIME_OF_DAY = (
    r"\b\d{1,2}(?:[:.]\d{2})?\s*Uhr\b|\b\d{1,2}[:.]\d{2}\s*(?:–|-|bis)\s*\d{1,2}[:.]\d{2}\b"
    rf"|\b{_WEEKDAYS}\b|\b(?:werktags|wochentags|vormittags|nachmittags|morgens|abends|"
    r"ganztägig|rund\s+um\s+die\s+Uhr)\b|\b\w*(?:sprechzeit|öffnungszeit|sprechstunde|"
    r"servicezeit)\w*|\b(?:geöffnet|erreichbar|besetzt)\b"
)
_FREQUENCY = (
    r"\b(?:täglich|wöchentlich|monatlich|vierteljährlich|halbjährlich|jährlich|regelmäßig|"
    r"ständig|laufend)\b|\b\w+mal\b|\b(?:pro|je|im|jede[ns]?|alle)\s+(?:\w+\s+)?(?:Tag|Woche|"
    r"Monat|Quartal|Jahr|Kalenderjahr|Sitzung)\w*\b"
)
_AMOUNT = rf"\d|\b{NUMERALS}\b|\b(?:höchstens|mindestens|maximal|Prozent|Euro|keine?)\b|€|%"
# Digits only from the start of a number: "\d[\d.,]*" tried at every digit of a long run of
# digits is quadratic (tests/skills/test_linear_patterns.py).
_COST = (
    r"(?<!\d)(?<!\d[.,])\d[\d.,]*\s*(?:€|Euro|EUR|T€|Mio|Millionen|Mrd)|\b(?:kostenlos|kostenfrei|"
    r"unentgeltlich|Gebühr\w*|Entgelt\w*|Kosten\w*|Euro|Eigenanteil|Pauschale)\b"
)
_ACTOR = (
    r"\b\w*(?:rat|räte|ausschuss|ausschüsse|beauftragte[nr]?|leitung|service|werkstatt|amt|"
    r"ämter|stelle|büro|desk|person|personen|kräfte|kraft|beschäftigte[nr]?|vorgesetzte[nr]?|"
    r"bürgermeister(?:in)?|senator(?:in)?|kämmerei|behörde|team|gremium|gremien|mitglied(?:er|"
    r"ern)?|feuerwehr|verwaltung|bürgerschaft|fraktion(?:en)?|sicherheit|inhaber\w*|"
    r"auszubildende[n]?|beamt\w*|arzt|ärztin|krankenkasse|dezernat|vorsitzende[nr]?|"
    r"niemand|jede[rm]?|alle|sie|"
    # Council papers name bodies outside the administration: the Regierungspräsidium, a
    # Förderverein or Zweckverband, a company or cooperative that buys or runs something.
    r"präsidium|verein|verband|gesellschaft|genossenschaft|ministerium|träger|firma|"
    r"unternehmen|polizei|gruppe[n]?|vertretung(?:en)?|redaktion|kommission|kreis)\b"
    r"|\be\.\s?V\.|\b(?:GmbH|eG|AG|KG)\b"
    # the agent of a passive sentence: "wird von einer Prüfgruppe gegengelesen"
    r"|\b(?:von|vom|durch)\s+(?:de[rmn]|die|das|eine[rmn]?)\s+(?:[\w-]+\s+)?(?-i:[A-ZÄÖÜ])[\w-]+"
)
_PLACE = (
    r"\b(?:im|ins|in\s+(?:der|dem|den|das|einem|einer)|über\s+(?:das|die|den)|auf\s+(?:der|dem|"
    r"den)|beim|bei\s+der)\s+(?:[\w-]+\s+)?[\w-]*(?:portal|system|raum|räumen|saal|haus|zentrum|"
    r"netz|net|verzeichnis|katalog|amt|büro|gebäude|straße|platz|stadt|liste|seite|programm|app|"
    r"kreis|bezirk|stadtteil|ortsteil|anwendungen|ordner|postfach)\b"
    r"|\b(?:Intranet|Internet|online|Online-[\w-]+|vor\s+Ort|per\s+E-Mail)\b"
    r"|\b(?-i:in\s+[A-ZÄÖÜ][a-zäöüß]{2,}(?:\s+und\s+[A-ZÄÖÜ][a-zäöüß]{2,})?)(?!\w)"
)
_BODY = (
    r"\b\w*(?:werkstatt|stelle|amt|büro|desk|service|beauftragte[nr]?|abteilung|personalrat|"
    r"ausschuss|leitung)\b"
)
_PURPOSE = (
    r"\b(?:soll|sollen|dient|dienen|damit|Ziel\w*|Zweck\w*|bestätigt|ermöglicht|berechtigt|"
    r"entlasten|verbessern)\b|\bum\b[^.;]{0,80}\bzu\b"
)
# A cause, or the law or rule that obliges: "weil", "denn", "nach § 5", "nach dem …gesetz",
# "verpflichtet", "vorgeschrieben".
_CAUSE = (
    r"\b(?:weil|denn|deshalb|daher|darum|deswegen|aufgrund|wegen|verpflichtet|vorgeschrieben|"
    r"gemäß)\b|\bnach\s+§\s*\d|\b\w*(?:gesetz|verordnung|richtlinie)\w*"
)
# An FAQ answers a yes/no question first: "Nein." then the reason.
YES_NO_ANSWER = re.compile(r"^(?:Ja|Nein|Nur)\b[^.!?]{0,40}[.!]$")
# "Ab wann / seit wann …?" is answered by when something starts, not by any date.
ASKS_START = re.compile(r"\b(?:ab|seit)\s+wann\b|\bsince\s+when\b", re.I)
STARTS = re.compile(
    r"\bin\s+Kraft\b|\bab\s+(?:de[mnr]|sofort|\d)|\bbeginn\w*|\berst\b|\bsobald\b|"
    r"\bnachdem\b|\bfreigeschaltet\b",
    re.I,
)
# "Wie verlängere ich …?", "Wie meldet man sich an?": a procedure, by the verb after "wie".
ASKS_HOW = re.compile(
    r"^\W*wie\s+(?!lange?\b|oft\b|viel|hoch\b|groß\b|weit\b|schnell\b|früh\b|teuer\b|hei(?:ß|ss)"
    r"|ist\b|sind\b|war\b|wird\b|werden\b)([\wäöüÄÖÜß]+)\s+(?:ich|man|wir|sie|er|es)\b"
    # "Wie wird ein Zertifikat beantragt?": the passive asks for the procedure as well; its
    # participle closes the question.
    r"|^\W*wie\s+(?:wird|werden)\s+[^?]*?\b([\wäöüÄÖÜß]+)\W*$",
    re.I,
)
# A concrete date: "ab dem 1. März", "zum 01.01.2027".
CONCRETE_DATE = re.compile(rf"{_DAY_MONTH}|\b\d{{1,2}}\.\s{_MONTHS}|\b{_MONTHS}\s\d{{4}}", re.I)
# In "Wozu ist … gut?" the "gut" belongs to the question, not to its topic.
PURPOSE_FRAME = frozenset({"gut", "nutz", "bring", "dient", "dien"})
_LIST = r"\bErstens\b|,[^,]+\b(?:und|sowie|oder)\b|:\s*\w+,|\bfolgende\b"
_RULE = (
    r"\b(?:darf|dürfen|muss|müssen|soll|sollen|kann|können|gilt|gelten|ist|sind|wird|werden|"
    r"bleibt|besteht|zählt|erhalten|nicht|kein\w*|nur|ausschließlich|erst|verboten|untersagt|"
    r"gestattet|erlaubt|pflicht\w*|zulässig|unzulässig|ausgenommen)\b"
)
# A sentence that opens as the exception to the rule before it (not one with its own "es sei
# denn" inside): it is quoted with that rule.
EXCEPTION_OPENS = re.compile(
    r"(?:Ausnahme|Abweichend|Ausgenommen|Ebenfalls\s+ausgenommen|Davon\s+ausgenommen|"
    r"(?:Das|Dies)\s+gilt\s+nicht)\b"
)
EXCEPTION = re.compile(
    r"^(?:Ausnahme|Abweichend|Ausgenommen|Das gilt nicht|Dies gilt nicht)|\bes sei denn\b|"
    r"\baußer\b|\bausgenommen\b",
    re.IGNORECASE,
)

# A telephone number, an extension, an e-mail or a street address.
_CONTACT = (
    r"[\w.+-]+@[\w-]+\.[\w.-]+|\b(?:Durchwahl|Telefon|Tel\.|Rufnummer|Hotline|Fax|Nummer)\w*"
    r"\s*:?\s*\(?\+?\d|(?<!\d)\d{3,6}[ /-]\d{2,}|\b\w+(?:straße|str\.|weg|platz|allee|ring)\s+\d"
)

# (kind, how a question asks for it, what an answering sentence carries); first match wins.
QUESTION_KINDS: list[tuple[str, re.Pattern[str], re.Pattern[str] | None]] = [
    (
        "cost",
        re.compile(
            r"\bwas\s+kost|\bwie\s*viel\s+kost|\bwie\s+teuer\b|\bzu\s+welchem\s+preis\b|\bwas\s+zahl|"
            r"\b(?:etwas|was)\s+(?:be)?zahlen\b|\bhow\s+much\s+does\b|\bcost",
            re.I,
        ),
        re.compile(_COST, re.I),
    ),
    (
        # "Wie lang darf ein Alternativtext sein?" (no "e"): a length of any unit, a duration
        # included ("Wie lang gilt der KI-Pass?").
        "measure",
        re.compile(r"\bwie\s+lang\b(?!\s+(?:dauer|brauch|wart))", re.I),
        re.compile(_MEASURE + "|" + _DURATION, re.I),
    ),
    (
        "duration",
        re.compile(
            r"\bwie\s+lange?\b|\bwie\s+schnell\b|\binnerhalb\s+welche|\bmit\s+welcher\s+frist\b|"
            r"\bwelche\s+frist\b|\bwie\s+früh\b|\bhow\s+long\b|\bkündigungsfrist\b",
            re.I,
        ),
        re.compile(_DURATION, re.I),
    ),
    (
        "frequency",
        re.compile(r"\bwie\s+oft\b|\bwie\s+häufig\b|\ban\s+wie\s+vielen\b|\bhow\s+often\b", re.I),
        re.compile(_FREQUENCY + "|" + _DURATION, re.I),
    ),
    (
        # "Wann kann ich … anrufen?", "Um wie viel Uhr …?", "Welche Öffnungszeiten …?": a time of
        # day or opening hours, not a date ("bis zum 30. Juni" does not say when to call).
        "time",
        re.compile(
            r"\bum\s+wie\s*viel\s+uhr\b|\bzu\s+welche[rn]?\s+(?:uhr)?zeit(?:en)?\b|\bab\s+wie\s*viel\s+uhr"
            r"|\bvon\s+wann\s+bis\s+wann\b"
            r"|\b(?:öffnungs|sprech|service)zeit\w*|\bsprechstunde\w*|\bwann\b[^?]{0,80}?\b(?:anruf\w*|"
            r"telefonier\w*|erreichbar|geöffnet|besetzt|vorbeikommen|vorbeigehen)\b",
            re.I,
        ),
        re.compile(_TIME_OF_DAY, re.I),
    ),
    (
        "date",
        re.compile(r"\bwann\b|\bwhen\b|\bab\s+welche[mr]\b", re.I),
        re.compile(_DATE, re.I),
    ),
    (
        "amount",
        re.compile(
            r"\bwie\s*viel(?:e[nr]?)?\b|\bwie\s+hoch\b|\bwie\s+groß\b|\bwie\s+weit\b|"
            r"\bhow\s+(?:many|much)\b",
            re.I,
        ),
        re.compile(_AMOUNT, re.I),
    ),
    (
        # "Wie lautet die Telefonnummer …?", "Unter welcher Durchwahl …?", "An welche Adresse
        # …?": a number to call or an address to write to, not a sentence about the hotline.
        "contact",
        re.compile(
            r"^\W*(?:(?:wie\s+(?:ist|lautet|lauten)|welche[rs]?\s+ist)\s+(?:die|der|den|seine|ihre|"
            r"deren|dessen)|(?:unter|an|über|bei)\s+welche[rn]?|welche[rn]?)\s+[\w-]*(?:nummer|"
            r"durchwahl|adresse)n?\b",
            re.I,
        ),
        re.compile(_CONTACT, re.I),
    ),
    (
        "who",
        re.compile(
            r"^\W*(?:\w+\s+){0,3}?(?:wer|wem|wen|who|whom)\b|\b(?:mit|bei|von|an|für)\s+"
            r"(?:wem|wen)\b",
            re.I,
        ),
        re.compile(_ACTOR, re.I),
    ),
    (
        "name",
        re.compile(
            r"\bwie\s+hei(?:ß|ss|s)(?:t|en)\b|\bwelchen\s+namen\b|\bwhat\s+is\s+the\s+name\b", re.I
        ),
        re.compile(r"\b(?:Frau|Herrn?|Dr\.)\s+[A-ZÄÖÜ][a-zäöüß]+|„[^“]+“|\"[^\"]+\"", re.I),
    ),
    (
        "where",
        re.compile(r"^\W*(?:wo|wohin|woher|where)\b|\bin\s+welche[nmr]?\b", re.I),
        # "Wo melde ich …?" is answered by an office as much as by a place.
        re.compile(_PLACE + "|" + _BODY, re.I),
    ),
    (
        # "Was passiert, wenn …?", "Was geschieht mit …?": what follows — preferred: a sentence
        # that says what then happens or applies ("dann", "wird …", "gilt", "erhalten").
        "consequence",
        re.compile(
            r"\bwas\s+(?:passiert|geschieht|droht|folgt)\b|\bwelche\s+(?:folgen|konsequenzen)\b"
            r"|\bwhat\s+happens\b",
            re.I,
        ),
        re.compile(
            r"\b(?:dann|sonst|andernfalls|gilt|gelten|wird|werden|erhält|erhalten|entfällt|"
            r"verfällt|verfallen|droht|drohen)\b|\bfolg\w*|\bFolge\w*",
            re.I,
        ),
    ),
    (
        "how",
        re.compile(
            r"^\W*wie\s+(?!lange?\b|oft\b|viel|hoch\b|groß\b|weit\b|schnell\b|früh\b|teuer\b"
            r"|hei(?:ß|ss)|ist\b|sind\b|war\b|wird\b|werden\b)[\wäöüÄÖÜß]+\s+(?:ich|man|wir|sie|"
            r"er|es)\b|^\W*wie\s+(?:wird|werden)\s+[^?]*?\b[\wäöüÄÖÜß]+\W*$",
            re.I,
        ),
        None,
    ),
    (
        "purpose",
        re.compile(
            r"\bwozu\b|\bwofür\b|\bzu\s+welchem\s+zweck\b|\bwas\s+(?:ist|sind)\s+(?:das|der|die)"
            r"\s+(?:ziel|zweck)\w*\b|\bwas\s+bringt\b|\bwhat\s+for\b",
            re.I,
        ),
        re.compile(_PURPOSE, re.I),
    ),
    (
        # "Warum …?" is answered by a cause, a purpose or the rule that obliges ("weil", "damit",
        # "um … zu", "nach dem Landesbehindertengleichstellungsgesetz … verpflichtet").
        "reason",
        re.compile(r"\bwarum\b|\bweshalb\b|\bwieso\b|\baus\s+welche[mn]\s+grund\b|\bwhy\b", re.I),
        re.compile(_PURPOSE + "|" + _CAUSE, re.I),
    ),
    (
        "list",
        re.compile(
            r"^\W*(?:(?:für|an|bei|von|zu|auf|über|unter|aus|nach)\s+)?welche[nrs]?\s+"
            r"[\wäöüÄÖÜß-]+|\bwas\s+muss\s+(?:ich|man)\s+(?:alles\s+)?"
            r"(?:tun|machen)\b|\bwhat\s+steps\b",
            re.I,
        ),
        re.compile(_LIST, re.I),
    ),
    (
        "rule",
        re.compile(
            r"^\W*(?:darf|dürfen|muss|müssen|soll|sollen|kann|können|ist|sind|gilt|gelten|wird|"
            r"werden|zählt|zählen|findet|finden|gibt|gibts|besteht|bestehen|ersetzt|ersetzen|"
            r"dient|dienen|legt|verliere|bekomme|erhalte|sagt|geht|verfallen|may|must|can|is|"
            r"are|do|does)\b",
            re.I,
        ),
        re.compile(_RULE, re.I),
    ),
]
NAME_ANSWER = next(carries for name, _, carries in QUESTION_KINDS if name == "name")
RULE_ANSWER = next(carries for name, _, carries in QUESTION_KINDS if name == "rule")
# A question that opens with its verb asks yes or no, whatever wh-clause follows, unless it
# only asks to be told something ("Wissen Sie, …", "Kann mir jemand sagen, …").
YES_NO = re.compile(
    r"^\W*(?:darf|dürfen|muss|müssen|soll|sollen|kann|können|ist|sind|gilt|gelten|wird|werden|"
    r"zählt|zählen|gibt|besteht|verliere|bekomme|erhalte)\b(?![^,]*\b(?:sagen|erklären|"
    r"verraten|nennen|wissen|weiß|mitteilen)\b)[^,?]*,\s*(?:wie|wann|wer|wem|wen|wo|was|welche"
    r"\w*|ob|dass|wenn)\b",
    re.I,
)
# Kinds whose answer must be in the sentence; for the others (a list, a rule, a place) the
# sentence that carries that form is preferred, but a plain statement may answer too.
REQUIRED_KINDS = frozenset(
    {
        "cost",
        "measure",
        "duration",
        "frequency",
        "time",
        "date",
        "amount",
        "who",
        "name",
        "where",
        "contact",
    }
)
# A step of a procedure: an instruction ("Erstellen Sie …", "Bitte wenden Sie sich …"), a
# numbered item, or a step word ("Zunächst …", "Anschließend …").
STEP = re.compile(
    r"(?:Bitte\s+)?(?-i:[A-ZÄÖÜ])[a-zäöüß]+(?:en|ern|eln)\s+Sie\b|\d{1,2}[.)]\s|(?:Erstens|Zweitens|"
    r"Drittens|Viertens|Zuerst|Zunächst|Dann|Danach|Anschließend|Abschließend|Schließlich|"
    r"Im\s+(?:ersten|zweiten|dritten|nächsten|letzten)\s+Schritt)\b"
)
# "Welche Schritte …?" passages that count out a list are quoted whole.
ORDINALS = ("Erstens", "Zweitens", "Drittens", "Viertens", "Fünftens", "Sechstens")
