#!/usr/bin/env python
"""Harbour Bank, an example relying party of the eID portal (a separate Django project)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partner_bank.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
