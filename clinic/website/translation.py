from modeltranslation.translator import TranslationOptions, register

from clinic.website.models import Page


@register(Page)
class PageTranslation(TranslationOptions):
    fields = ("title", "slug", "summary", "body")
    required_languages = ("uk", "en")
