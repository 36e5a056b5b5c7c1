"""Reading the structure of a council paper for `zusammenfassen`.

A Vorlage from an ALLRIS city is a form: Betreff, Beratungsfolge table, Beschlussantrag,
Finanzielle Auswirkungen (check boxes and money fields), Sachverhalt/Begründung, Anlagen.
These modules find those parts line by line and page by page, so every statement a summary
makes is a verbatim quote with the page it stands on:

- source.py: what is summarised — a sent file, a paper by reference or link, pasted text — as
  passages within one page each and as the pages the structure is read from;
- document.py: pages -> lines -> the documents inside one file (Vorlage, Stellungnahme,
  Anlagen), line-break hyphens joined, letterheads and form placeholders marked;
- sections.py: Betreff, proposal (Beschlussantrag, Antrag, the questions of an Anfrage),
  Kurzfassung and the Stellungnahme's answer, the body a summary's key points come from;
- finance.py: the money fields of the form and the sentences that say what money is for;
- consultation.py: the Beratungsfolge table and deadlines named in the text;
- outline.py: all of the above as one `Outline` of `Statement`s.
"""
