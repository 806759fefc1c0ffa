"""HKID answers kept as eid keeps HKIDs: a keyed hash (HMAC-SHA256 under HKID_HASH_KEY) and a mask.

Rows written before this stored the number typed by the resident in `answers`; they are rewritten
here. The logic is copied (not imported) so the migration does not change when eid/hkid.py does.
"""

import hashlib
import hmac
import re

from django.conf import settings
from django.db import migrations

_PATTERN = re.compile(r"\A([A-Z]{1,2})([0-9]{6})(?:\(([0-9A])\)|([0-9A]))\Z")


def _minimised(value: str) -> dict:
    compact = re.sub(r"\s+", "", value or "").upper()
    match = _PATTERN.match(compact)
    if not match:
        # Not a number eid would accept: nothing worth matching on, and nothing to show.
        return {"hmac": "", "masked": "***"}
    prefix, digits, bracketed, bare = match.groups()
    normalised = f"{prefix}{digits}{bracketed or bare}"
    digest = hmac.new(settings.HKID_HASH_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()
    return {"hmac": digest, "masked": f"{prefix}{digits[:3]}***({normalised[-1]})"}


def _hkid_keys(definition: dict) -> set[str]:
    return {
        field.get("key")
        for page in (definition or {}).get("pages", [])
        for field in page.get("fields", [])
        if field.get("type") == "hkid"
    }


def minimise(apps, schema_editor):
    FormVersion = apps.get_model("eforms", "FormVersion")
    versions = {
        version.pk: keys
        for version in FormVersion.objects.only("pk", "definition")
        if (keys := _hkid_keys(version.definition))
    }
    if not versions:
        return
    for model_name in ("Submission", "Draft"):
        model = apps.get_model("eforms", model_name)
        for row in model.objects.filter(version_id__in=list(versions)).only("pk", "version_id", "answers"):
            changed = False
            for key in versions[row.version_id]:
                value = row.answers.get(key)
                if isinstance(value, str):
                    row.answers[key] = _minimised(value)
                    changed = True
            if changed:
                model.objects.filter(pk=row.pk).update(answers=row.answers)


class Migration(migrations.Migration):
    dependencies = [("eforms", "0004_webhook_last_result")]

    operations = [migrations.RunPython(minimise, migrations.RunPython.noop)]
