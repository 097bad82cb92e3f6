from scoparchive.cli import main

main(prog_name="scoparchive")
