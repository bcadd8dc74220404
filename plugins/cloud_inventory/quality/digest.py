"""The quality digest: one email when anything is stale, failing or never seen, a dump was quarantined,
or an expectation failed; nothing when all is well. Sent through the SMTP provider's hook (`smtp_default`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from itertools import groupby

STATUS_ORDER = {"failing": 0, "never": 1, "stale": 2}


@dataclass
class Digest:
    sources: list[dict] = field(default_factory=list)  # marts.source_freshness rows not fresh
    quarantined: list[dict] = field(default_factory=list)  # dumps quarantined since the last digest
    failed_checks: list[dict] = field(default_factory=list)  # expectations that failed or errored

    @property
    def empty(self) -> bool:
        return not (self.sources or self.quarantined or self.failed_checks)

    def subject(self) -> str:
        counts = {status: sum(1 for s in self.sources if s["status"] == status) for status in STATUS_ORDER}
        parts = [f"{n} {status}" for status, n in counts.items() if n]
        parts = [", ".join(parts) + " source(s)"] if parts else []
        if self.quarantined:
            parts.append(f"{len(self.quarantined)} quarantined dump(s)")
        if self.failed_checks:
            parts.append(f"{len(self.failed_checks)} failed check(s)")
        return "[cloud-inventory] quality: " + "; ".join(parts)

    def groups(self) -> list[dict]:
        """Sources grouped one line per status, account, region, kind (AWS types or clusters) and error, with
        what they are (resource types or clusters) listed and the earliest `status_since`. The time a source
        turned bad is not part of the key: each type's is its own instant (to the microsecond), so keying on it
        gave a line per type."""
        def key(row):
            return (STATUS_ORDER[row["status"]], row["account_name"] or "", row["account_id"] or "", row["region"] or "",
                    row["cluster"] is not None, row["last_error"] or "")

        grouped = []
        for _, rows in groupby(sorted(self.sources, key=key), key=key):
            rows = list(rows)
            clusters = sorted(r["cluster"] for r in rows if r["cluster"] is not None)
            since = [r["status_since"] for r in rows if r["status_since"] is not None]
            successes = [r["last_success_at"] for r in rows if r["last_success_at"] is not None]
            ages = [r["age_minutes"] for r in rows if r["age_minutes"] is not None]
            # the group's worst: bad since the earliest instant, the oldest last success
            grouped.append({**rows[0], "status_since": min(since) if since else None,
                            "last_success_at": min(successes) if successes else None,
                            "age_minutes": max(ages) if ages else None,
                            "what": ", ".join(f"cluster {c}" for c in clusters)
                            or ", ".join(sorted(r["resource_type"] for r in rows)), "count": len(rows)})
        return grouped

    def html(self, checked_at: datetime, data_docs: str | None = None) -> str:
        out = [f"<html><body style=\"font-family: sans-serif\"><h2>cloud-inventory quality, "
               f"{escape(_when(checked_at))}</h2>"]
        if self.sources:
            out.append(f"<h3>Sources not fresh ({len(self.sources)})</h3>")
            out.append(_table(["status", "since", "account", "region", "what", "last success", "age", "threshold",
                               "last error"],
                              [[g["status"], _when(g["status_since"]), f"{g['account_name'] or ''} {g['account_id']}",
                                g["region"], f"{g['what']}" + (f" ({g['count']} {'clusters' if g['cluster'] else 'types'})" if g["count"] > 1 else ""),
                                _when(g["last_success_at"]) or "never", _minutes(g["age_minutes"]),
                                _minutes(g["threshold_minutes"]), g["last_error"] or ""] for g in self.groups()]))
        if self.quarantined:
            out.append(f"<h3>Quarantined dumps ({len(self.quarantined)})</h3>")
            out.append(_table(["cluster", "dump", "reason", "copy"],
                              [[q["cluster"], q["dump_key"], q["error_message"], q["quarantine_uri"] or ""]
                               for q in self.quarantined]))
        if self.failed_checks:
            out.append(f"<h3>Failed checks ({len(self.failed_checks)})</h3>")
            out.append(_table(["status", "check", "table", "observed"],
                              [[c["status"], c["check_name"], c["table_name"], c["observed_value"] or ""]
                               for c in self.failed_checks]))
        if data_docs:
            out.append(f"<p>Data Docs: {escape(data_docs)}</p>")
        out.append("</body></html>")
        return "\n".join(out)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, datetime) else ("" if value is None else str(value))


def _minutes(value) -> str:
    if value is None:
        return ""
    minutes = float(value)
    return f"{minutes / 60:.1f} h" if minutes >= 120 else f"{minutes:.0f} min"


def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th align=\"left\">{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    return (f"<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\" style=\"border-collapse: collapse\">"
            f"<tr>{head}</tr>{body}</table>")


def send(digest: Digest, to: list[str], from_email: str, html: str, conn_id: str = "smtp_default") -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    with SmtpHook(smtp_conn_id=conn_id) as hook:
        hook.send_email_smtp(to=to, from_email=from_email, subject=digest.subject(), html_content=html)
