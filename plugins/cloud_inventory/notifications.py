"""Failure emails: the SMTP provider's SmtpNotifier on every task, to INVENTORY_ALERT_EMAILS via `smtp_default`.

Airflow calls `on_failure_callback` only once a task has failed its last retry (a retry calls
`on_retry_callback`, which we leave alone), so each failure sends one email. A mail server that is
down makes the notifier raise inside the callback; the task runner logs that and the task's own
failure stays what it was.
"""
from __future__ import annotations

from airflow.providers.smtp.notifications.smtp import SmtpNotifier

from cloud_inventory.settings import Settings

SUBJECT = ("[cloud-inventory] {{ dag.dag_id }}.{{ ti.task_id }}"
           "{% if ti.rendered_map_index %} [{{ ti.rendered_map_index }}]{% endif %} failed")

# The mapped label is "<account name> <account id>" for an aws_inventory extraction and
# "<cluster> (<account id> <region>)" for a k8s_inventory ingestion (the DAGs' map_index_template).
BODY = """\
<html><body style="font-family: sans-serif">
<h3>{{ dag.dag_id }}.{{ ti.task_id }} failed after {{ ti.try_number }} attempt(s)</h3>
<table border="1" cellpadding="4" cellspacing="0" style="border-collapse: collapse">
<tr><th align="left">DAG</th><td>{{ dag.dag_id }}</td></tr>
<tr><th align="left">Task</th><td>{{ ti.task_id }}</td></tr>
{% if ti.rendered_map_index %}<tr><th align="left">Source (account / cluster)</th>\
<td>{{ ti.rendered_map_index | e }}</td></tr>{% endif %}
{% if ti.map_index is not none and ti.map_index >= 0 %}<tr><th align="left">Map index</th>\
<td>{{ ti.map_index }}</td></tr>{% endif %}
<tr><th align="left">Logical date</th><td>{{ logical_date or dag_run.run_after }}</td></tr>
<tr><th align="left">Run</th><td>{{ run_id }}</td></tr>
<tr><th align="left">Try number</th><td>{{ ti.try_number }}</td></tr>
<tr><th align="left">Error</th><td><pre style="white-space: pre-wrap">{{ exception | string | e }}</pre></td></tr>
<tr><th align="left">Log</th><td><a href="{{ ti.log_url }}">{{ ti.log_url }}</a></td></tr>
</table>
</body></html>
"""


class FailureEmail:
    """Sends one failure email per call through a fresh SmtpNotifier: a notifier renders its templates in
    place, so one instance shared by every task (default_args) would send the first task's text again."""

    def __init__(self, to: tuple[str, ...], from_email: str):
        self.to, self.from_email = list(to), from_email

    def __call__(self, context) -> None:
        SmtpNotifier(to=self.to, from_email=self.from_email, subject=SUBJECT, html_content=BODY)(context)


def on_failure(settings: Settings) -> list:
    """The DAG's on_failure_callback list: the failure email, or nothing when no address is configured."""
    return [FailureEmail(settings.alert_emails, settings.alert_from)] if settings.alert_emails else []
