from modeltranslation.translator import TranslationOptions, register

from clinic.scheduling.models import VisitType


@register(VisitType)
class VisitTypeTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = {"uk": ("name",), "en": ("name",)}
