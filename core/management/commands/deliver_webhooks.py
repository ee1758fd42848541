from django.core.management.base import BaseCommand

from core.webhooks import deliver_due


class Command(BaseCommand):
    help = (
        "Deliver the change feed to every active webhook whose next attempt is due, now, in this process (a cron "
        "safety net beside the worker, and the way to deliver when jobs run inside the request)."
    )

    def handle(self, *args, **options):
        outcomes = deliver_due()
        for pk, outcome in sorted(outcomes.items()):
            self.stdout.write(f"webhook {pk}: {outcome}")
        if not outcomes:
            self.stdout.write("no webhook due")
