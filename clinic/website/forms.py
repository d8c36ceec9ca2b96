from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.website.models import Page


class PageForm(forms.Form):
    section = forms.ChoiceField(label=_("Section"), choices=Page.Section.choices)
    title_uk = forms.CharField(label=_("Title (Ukrainian)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    slug_uk = forms.SlugField(
        label=_("Address (Ukrainian)"),
        max_length=120,
        help_text=_("Latin letters, digits and hyphens, e.g. pisliapolohova-depresiia."),
    )
    slug_en = forms.SlugField(label=_("Address (English)"), max_length=120)
    summary_uk = forms.CharField(
        label=_("Summary (Ukrainian)"),
        max_length=300,
        help_text=_("One or two sentences; shown in lists and search results."),
    )
    summary_en = forms.CharField(label=_("Summary (English)"), max_length=300)
    body_uk = forms.CharField(
        label=_("Text (Ukrainian, Markdown)"), widget=forms.Textarea(attrs={"rows": 16})
    )
    body_en = forms.CharField(
        label=_("Text (English, Markdown)"), widget=forms.Textarea(attrs={"rows": 16})
    )
    status = forms.ChoiceField(label=_("Status"), choices=Page.Status.choices)
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        help_text=_("Leave empty to publish at once; a future time schedules the page."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    position = forms.IntegerField(
        label=_("Order in lists"), min_value=0, max_value=10000, initial=100
    )

    def __init__(self, *args, page=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.page = page

    def clean(self):
        data = super().clean()
        for language in ("uk", "en"):
            slug, section = data.get(f"slug_{language}"), data.get("section")
            if not slug or not section:
                continue
            taken = Page.objects.filter(section=section, **{f"slug_{language}": slug})
            if self.page is not None:
                taken = taken.exclude(pk=self.page.pk)
            if taken.exists():
                self.add_error(
                    f"slug_{language}", _("Another page in this section has this address.")
                )
        return data
