from django.core.management.base import BaseCommand, CommandError

from eid.audit.chain import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail; report the first broken link."

    def handle(self, *args: object, **options: object) -> None:
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at event #{report.broken_at}: {report.reason} "
                f"({report.checked} events verified before it)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events verified."))
