"""Emails: templates (Jinja2) and the mailers that hand messages over (a file per message, SMTP,
or memory for tests)."""
