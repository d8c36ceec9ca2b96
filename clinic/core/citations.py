"""Sources shown to clinicians as citations rather than as the research notes' shorthand.

Rules and settings carry their source as "domain.md §3.4 [R51]": the section of the project's
research notes and the number of the reference in its list. Clinicians need the source itself:
`cite()` replaces each [R..] with its author and year (or short title) and drops the pointer
into the notes. The table holds the references the code and the shipped data cite; the full
entries are in the research notes' reference list.
"""

import re

from django.utils.safestring import SafeString

SOURCES = {
    "R1": "Fekadu et al., BMC Psychiatry 2018",
    "R3": "Fekadu et al., J Clin Psychiatry 2009",
    "R4": "Thase & Rush, J Clin Psychiatry 1997",
    "R5": "Sforzini et al., Mol Psychiatry 2022",
    "R6": "Rybak et al., Depress Anxiety 2021",
    "R9": "UpToDate and McMaster Textbook antidepressant dose tables",
    "R10": "Fava et al., Psychother Psychosom 2020",
    "R11": "Tijdschr Psychiatr, pseudo-resistance in MDD",
    "R12": "Rush et al., ACNP Task Force 2006",
    "R20": "Kroenke et al., J Gen Intern Med 2001",
    "R21": "CamCOPS task documentation (PHQ-9, GAD-7)",
    "R22": "Pfizer, PHQ and GAD-7 free use, 2010",
    "R23": "Spitzer et al., Arch Intern Med 2006",
    "R24": "Cox et al., Br J Psychiatry 1987",
    "R25": "Levis et al., BMJ 2020",
    "R26": "Montgomery & Åsberg, Br J Psychiatry 1979",
    "R27": "Rush et al., Biol Psychiatry 2003",
    "R28": "Trivedi et al., Am J Psychiatry 2006",
    "R29": "Weathers et al., PCL-5, 2013",
    "R30": "Posner et al., C-SSRS, 2011",
    "R31": "Bremner et al., CADSS, 1998",
    "R32": "Chernik et al., J Clin Psychopharmacol 1990",
    "R33": "Overall & Gorham, Psychol Rep 1962",
    "R34": "Modified Aldrete score, World J Gastroenterol 2015",
    "R35": "Chung et al., J Clin Anesth 1995",
    "R40": "Sanacora et al., JAMA Psychiatry 2017",
    "R41": "Swainson et al., Can J Psychiatry 2021",
    "R42": "Andrade, J Clin Psychiatry 2017",
    "R43": "Andrade, J Clin Psychiatry 2017",
    "R44": "J Affect Disord 2018, 684 ketamine infusions",
    "R46": "Gen Hosp Psychiatry 2024, 2342 ketamine infusions",
    "R48": "SPRAVATO US Prescribing Information, Janssen 2019",
    "R49": "SPRAVATO REMS Patient Monitoring Form, Janssen 2021",
    "R50": "J&J Medical Information, SPRAVATO with antihypertensives",
    "R51": "Ketalar SmPC (MHRA 2019); Swiss ketamine Fachinformation",
    "R52": "ASKP3 Standards of Practice, 2020",
    "R54": "LactMed, ketamine and breastfeeding, 2023",
    "R57": "Szarmach et al., Neuropsychiatr Dis Treat 2020",
    "R60": "Andrashko et al., Front Psychiatry 2020",
    "R61": "Anand et al., Arch Gen Psychiatry 2000",
    "R62": "Williams et al., Am J Psychiatry 2018",
    "R70": "Bikson et al., Brain Stimul 2016",
    "R71": "Antal et al., Clin Neurophysiol 2017",
    "R73": "Rev Bras Psiquiatr 2009, tDCS in depression",
    "R80": "APA, DSM-5, 2013",
    "R98": "Закон України «Про захист персональних даних», 2010",
}

_REFERENCE = re.compile(r"\[(R\d+)(?:-bis|-ter)?\]")
# "domain.md §3.4", "domain.md §3.4, §5", "(domain.md §1)", with the punctuation around it.
_NOTES = re.compile(r"[,;]?\s*\(?domain\.md(?:\s*§\s*\d+(?:\.\d+)*(?:,\s*§\s*\d+(?:\.\d+)*)*)?\)?")


def _source(match: re.Match) -> str:
    source = SOURCES.get(match.group(1))
    return f"({source})" if source else ""


def cite(text: str) -> str:
    """`text` with its research-note references as human-readable citations."""
    if not text:
        return text
    cited = _NOTES.sub("", _REFERENCE.sub(_source, str(text)))
    cited = re.sub(r"\s+([.,;:)])", r"\1", re.sub(r"[ \t]{2,}", " ", cited)).strip()
    cited = re.sub(r"^[,;]\s*", "", cited)
    return SafeString(cited) if isinstance(text, SafeString) else cited
