from digests.cli import main

main(prog_name="python -m digests")
