"""Django's makemessages without fuzzy matching.

A new string guessed from a similar old one ("Email" from "E-mail") arrives as a fuzzy
translation that Django ignores; the catalogue check would then fail. New strings stay empty
until someone translates them.
"""

from django.core.management.commands.makemessages import Command as MakeMessagesCommand


class Command(MakeMessagesCommand):
    msgmerge_options = [*MakeMessagesCommand.msgmerge_options, "--no-fuzzy-matching"]
