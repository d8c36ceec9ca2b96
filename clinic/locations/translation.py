from modeltranslation.translator import TranslationOptions, register

from clinic.locations.models import Room, Site


@register(Site)
class SiteTranslation(TranslationOptions):
    fields = ("name", "address", "locality")
    required_languages = {"uk": ("name",), "en": ("name",)}


@register(Room)
class RoomTranslation(TranslationOptions):
    fields = ("name",)
