from prodhub.cli import app

app(prog_name="prodhub")
