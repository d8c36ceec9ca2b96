from django.template import Context, Template

from clinic.core.citations import cite


def test_references_become_citations_and_note_pointers_go():
    assert cite("40 minutes, domain.md §3.3 [R42].") == (
        "40 minutes (Andrade, J Clin Psychiatry 2017)."
    )
    assert cite("30 days: clinic policy, domain.md §3.3.") == "30 days: clinic policy."
    assert cite("PADSS [R35] or modified Aldrete [R34], domain.md §2.12.") == (
        "PADSS (Chung et al., J Clin Anesth 1995) or modified Aldrete"
        " (Modified Aldrete score, World J Gastroenterol 2015)."
    )


def test_a_source_that_is_only_a_pointer_into_the_notes_leaves_nothing():
    assert cite("domain.md §3.2") == ""
    assert cite("") == ""


def test_the_template_filter_cites_what_it_shows():
    rendered = Template("{% load citations %}{{ note|cite }}").render(
        Context({"note": "Sforzini criteria [R5], domain.md §1.2"})
    )
    assert rendered == "Sforzini criteria (Sforzini et al., Mol Psychiatry 2022)"
