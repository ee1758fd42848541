from django.core.management.base import BaseCommand

from surveys.demo import DEMO_PASSWORD, HOUSEHOLDS_PER_COMMUNE, build_demo


class Command(BaseCommand):
    help = "Load the demo province (Binh Duong, pre-2025 units) with households, two rounds and one user per role."

    def add_arguments(self, parser):
        parser.add_argument("--households-per-commune", type=int, default=HOUSEHOLDS_PER_COMMUNE)

    def handle(self, *args, households_per_commune, **options):
        result = build_demo(households_per_commune=households_per_commune)
        state = "created" if result["created"] else "already present"
        self.stdout.write(f"Demo data {state}: {result['households']} households.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for du in result["users"]:
            self.stdout.write(f"  {du.username:<11} {du.note}")
