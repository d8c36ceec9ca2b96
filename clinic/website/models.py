"""The public site's pages: conditions, methods and articles, each in Ukrainian and English."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _


class PageQuerySet(models.QuerySet):
    def published(self, now=None):
        """Published pages whose publication time (if any) has come."""
        now = now or timezone.now()
        return self.filter(status=Page.Status.PUBLISHED).filter(
            Q(publish_at__isnull=True) | Q(publish_at__lte=now)
        )

    def in_section(self, section):
        return self.filter(section=section)


class Page(models.Model):
    """A page of the public site. Title, slug, summary and body exist in both languages."""

    class Section(models.TextChoices):
        CONDITION = "condition", _("What we treat")
        METHOD = "method", _("Methods")
        ARTICLE = "article", _("Articles")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    section = models.CharField(_("section"), max_length=10, choices=Section.choices)
    # Translated (modeltranslation): title_uk/_en, slug_uk/_en, summary_uk/_en, body_uk/_en.
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address"), max_length=120, allow_unicode=False)
    summary = models.CharField(_("summary"), max_length=300)
    body = models.TextField(_("text (Markdown)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # Empty: visible as soon as published. In the future: published then (scheduled).
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    position = models.PositiveIntegerField(_("order"), default=100)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["section", "position", "pk"]
        verbose_name = _("page")
        verbose_name_plural = _("pages")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        """The page's address in the active language (slugs differ per language)."""
        language = translation.get_language() or "uk"
        slug = getattr(self, f"slug_{language}", None) or self.slug_uk
        return reverse(f"website:{self.section}", kwargs={"slug": slug})

    @property
    def is_scheduled(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at > timezone.now()
        )

    def url_in(self, language: str) -> str:
        with translation.override(language):
            return self.get_absolute_url()
