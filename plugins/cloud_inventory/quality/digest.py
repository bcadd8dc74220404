"""The quality digest: one email when anything is stale, failing or never seen, a dump was quarantined,
an expectation failed, or (quality/whats_new.py) something new appeared; nothing when all is well and nothing
is new. Sent through the SMTP provider's hook (`smtp_default`) as HTML (inline styles and tables only: what mail
clients keep) with a plain-text alternative. Every value from the inventory is escaped: names are not trusted."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
from html import escape
from itertools import groupby

from cloud_inventory.explorer.links import resource_url
from cloud_inventory.quality.whats_new import BY_NAME, WhatsNew

STATUS_ORDER = {"failing": 0, "never": 1, "stale": 2}
MAX_ROWS = 50  # rows per section; the rest are counted and left to the explorer's page
TABLE = "border=\"1\" cellpadding=\"4\" cellspacing=\"0\" style=\"border-collapse: collapse; font-size: 13px\""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Link:
    text: str
    href: str | None  # None: plain text (no explorer to link to)


@dataclass
class Section:
    title: str
    header: list[str]
    rows: list[list]  # cells: str, or Link
    total: int | None = None  # rows in all (more than shown)
    more: Link | None = None  # where the rest are
    note: str | None = None


@dataclass
class Digest:
    sources: list[dict] = field(default_factory=list)  # marts.source_freshness rows not fresh
    quarantined: list[dict] = field(default_factory=list)  # dumps quarantined since the last digest
    failed_checks: list[dict] = field(default_factory=list)  # expectations that failed or errored
    whats_new: WhatsNew | None = None
    news_kinds: tuple[str, ...] = ()  # the kinds of what is new this email lists
    explorer: str | None = None  # the explorer's absolute URL (links), when known

    @property
    def has_quality(self) -> bool:
        return bool(self.sources or self.quarantined or self.failed_checks)

    @property
    def has_news(self) -> bool:
        return bool(self.whats_new and self.news_kinds and self.whats_new.has_news(self.news_kinds))

    @property
    def empty(self) -> bool:
        return not (self.has_quality or self.has_news)

    def subject(self) -> str:
        counts = {status: sum(1 for s in self.sources if s["status"] == status) for status in STATUS_ORDER}
        parts = [f"{n} {status}" for status, n in counts.items() if n]
        parts = [", ".join(parts) + " source(s)"] if parts else []
        if self.quarantined:
            parts.append(f"{len(self.quarantined)} quarantined dump(s)")
        if self.failed_checks:
            parts.append(f"{len(self.failed_checks)} failed check(s)")
        news = self.whats_new.summary(self.news_kinds) if self.has_news else ""
        if not parts:
            return "[cloud-inventory] what is new: " + news
        return "[cloud-inventory] quality: " + "; ".join(parts + ([f"new: {news}"] if news else []))

    def groups(self, sources: list[dict] | None = None) -> list[dict]:
        """Sources grouped one line per status, account, region, kind (AWS types or clusters) and error, with
        what they are (resource types or clusters) listed and the earliest `status_since`. The time a source
        turned bad is not part of the key: each type's is its own instant (to the microsecond), so keying on it
        gave a line per type."""
        def key(row):
            return (STATUS_ORDER[row["status"]], row["account_name"] or "", row["account_id"] or "", row["region"] or "",
                    row["cluster"] is not None, row["last_error"] or "")

        grouped = []
        for _, rows in groupby(sorted(self.sources if sources is None else sources, key=key), key=key):
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

    # --- the sections, then HTML and text of them ---------------------------------------------------------

    def sections(self) -> list[Section]:
        out = self._news_sections()
        if self.sources:
            out.append(self._sources_section(f"Sources not fresh ({len(self.sources)})", self.sources))
        if self.quarantined:
            out.append(Section(f"Quarantined dumps ({len(self.quarantined)})", ["cluster", "dump", "reason", "copy"],
                               [[q["cluster"], q["dump_key"], q["error_message"], q["quarantine_uri"] or ""]
                                for q in self.quarantined]))
        if self.failed_checks:
            out.append(Section(f"Failed checks ({len(self.failed_checks)})", ["status", "check", "table", "observed"],
                               [[c["status"], c["check_name"], c["table_name"], c["observed_value"] or ""]
                                for c in self.failed_checks]))
        return out

    def _sources_section(self, title: str, sources: list[dict]) -> Section:
        return Section(title, ["status", "since", "account", "region", "what", "last success", "age", "threshold",
                               "last error"],
                       [[g["status"], _when(g["status_since"]), f"{g['account_name'] or ''} {g['account_id']}",
                         g["region"], g["what"] + (f" ({g['count']} {'clusters' if g['cluster'] else 'types'})"
                                                   if g["count"] > 1 else ""),
                         _when(g["last_success_at"]) or "never", _minutes(g["age_minutes"]),
                         _minutes(g["threshold_minutes"]), g["last_error"] or ""] for g in self.groups(sources)])

    def _news_sections(self) -> list[Section]:
        found = self.whats_new
        if found is None or not self.news_kinds:
            return []
        if found.baseline:
            counts = ", ".join(f"{len(found.current[k])} {BY_NAME[k].noun[len(found.current[k]) != 1]}"
                               for k in self.news_kinds if k in found.current)
            return [Section("What is new", [], [], note=f"First digest: what is there now is recorded as the "
                            f"baseline ({counts}); from the next digest on, only what appears is listed.")]
        out = []
        for name in self.news_kinds:
            rows = found.new.get(name) or []
            if not rows:
                continue
            kind = BY_NAME[name]
            title = f"{kind.title} ({len(rows)})"
            if name == "waste":
                usd, unpriced = found.waste_totals()
                title += f": ${usd:,.2f} a month" + (f", {unpriced} unpriced" if unpriced else "")
            if name == "source":
                section = self._sources_section(title, rows)
            else:
                header, render = RENDER[name]
                section = Section(title, header, [render(self, row) for row in rows[:MAX_ROWS]])
            if len(rows) > MAX_ROWS:  # (sources' grouped lines are never more than their rows)
                section.rows, section.total = section.rows[:MAX_ROWS], len(rows)
                section.more = Link(f"the {len(rows) - MAX_ROWS} more", self._page(kind.page))
            out.append(section)
        notes = []
        first = [f"{BY_NAME[k].table} ({len(found.current[k])} recorded)" for k in self.news_kinds
                 if k in found.baselined]
        if first:
            notes.append("Read for the first time, recorded as its baseline, not listed: " + ", ".join(first) + ".")
        skipped = [BY_NAME[k].table for k in self.news_kinds if k in found.skipped]
        if skipped:
            notes.append("Not built, not read: " + ", ".join(skipped) + ".")
        if out and notes:
            out.append(Section("About what is new", [], [], note=" ".join(notes)))
        return out

    def _page(self, page: str) -> str | None:
        return f"{self.explorer}{page}" if self.explorer and page else None

    def resource_link(self, text: str, resource_type: str, account_id: str, region: str, resource_id: str) -> Link:
        href = resource_url(self.explorer, resource_type, account_id, region, str(resource_id)) \
            if self.explorer and resource_type and account_id and region and resource_id else None
        return Link(text, href)

    def html(self, checked_at: datetime, data_docs: str | None = None) -> str:
        heading = "quality" if self.has_quality else "what is new"
        out = ["<html><body style=\"font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #222\">",
               f"<h2 style=\"font-size: 18px\">cloud-inventory {heading}, {escape(_when(checked_at))}</h2>"]
        for section in self.sections():
            out.append(f"<h3 style=\"font-size: 15px; margin: 18px 0 6px\">{escape(section.title)}</h3>")
            if section.rows:
                head = "".join(f"<th align=\"left\" style=\"background: #f0f0f0\">{escape(h)}</th>"
                               for h in section.header)
                body = "".join("<tr>" + "".join(f"<td>{_html_cell(cell)}</td>" for cell in row) + "</tr>"
                               for row in section.rows)
                out.append(f"<table {TABLE}><tr>{head}</tr>{body}</table>")
            if section.total is not None:
                out.append(f"<p>… and {_html_cell(section.more)} ({section.total} in all).</p>")
            if section.note:
                out.append(f"<p>{escape(section.note)}</p>")
        if data_docs:
            out.append(f"<p>Data Docs: {escape(data_docs)}</p>")
        if self.explorer:
            out.append(f"<p><a href=\"{escape(self.explorer + '/', quote=True)}\">Inventory explorer</a></p>")
        out.append("</body></html>")
        return "\n".join(out)

    def text(self, checked_at: datetime, data_docs: str | None = None) -> str:
        heading = "quality" if self.has_quality else "what is new"
        out = [f"cloud-inventory {heading}, {_when(checked_at)}"]
        for section in self.sections():
            out += ["", _plain(section.title), "-" * len(_plain(section.title))]
            for row in section.rows:
                out.append("- " + " | ".join(f"{h}: {_text_cell(c)}" for h, c in zip(section.header, row)
                                             if _text_cell(c)))
            if section.total is not None:
                out.append(f"... and {_text_cell(section.more)} ({section.total} in all).")
            if section.note:
                out.append(_plain(section.note))
        if data_docs:
            out += ["", f"Data Docs: {data_docs}"]
        if self.explorer:
            out += ["", f"Inventory explorer: {self.explorer}/"]
        return "\n".join(out) + "\n"

    def message(self, to: list[str], from_email: str, checked_at: datetime, data_docs: str | None = None
                ) -> MIMEMultipart:
        """multipart/alternative: the text first, the HTML last (the one mail clients prefer to show). Built with
        the MIME classes the SMTP provider uses (compat32 headers: a long subject folds without a leading space)."""
        message = MIMEMultipart("alternative")
        message["Subject"] = self.subject()
        message["From"] = from_email
        message["To"] = ", ".join(to)
        message["Date"] = formatdate(localtime=False)
        message.attach(MIMEText(self.text(checked_at, data_docs), "plain", "utf-8"))
        message.attach(MIMEText(self.html(checked_at, data_docs), "html", "utf-8"))
        return message


# --- how each kind of new item reads -------------------------------------------------------------------------

def _account(row: dict) -> str:
    return f"{row['account_name'] or ''} {row['account_id']}".strip()


def _waste(digest: Digest, row: dict) -> list:
    usd = (f"${row['est_monthly_usd']:,.2f}" if row["est_monthly_usd"] is not None
           else "unpriced: no price for " + ", ".join(row["unpriced_price_keys"] or []))
    name = row["resource_name"] or row["resource_id"]
    text = f"{name} ({row['resource_id']})" if row["resource_name"] else str(row["resource_id"])
    return [usd, row["category"], _account(row), row["region"],
            digest.resource_link(text, row["resource_type"], row["account_id"], row["region"], row["resource_id"]),
            row["detail"] or ""]


def _open_rule(digest: Digest, row: dict) -> list:
    group = f"{row['group_name']} ({row['security_group_id']})" if row["group_name"] else row["security_group_id"]
    used = f"{row['network_interface_count']} interface(s), {row['instance_count']} instance(s)"
    return [_account(row), row["region"],
            digest.resource_link(group, "security_group", row["account_id"], row["region"], row["security_group_id"]),
            f"{row['protocol']} {row['port_range']}", row["cidr"], row["rule_description"] or "", used]


def _unhealthy(digest: Digest, row: dict) -> list:
    name = "/".join(part for part in (row["namespace"], row["name"]) if part)
    return [row["cluster"], row["problem"],
            digest.resource_link(f"{row['kind']} {name}", row["resource_type"], row["account_id"], row["region"],
                             row["resource_id"]),
            row["detail"] or "", _when(row["since"])]


def _spike(digest: Digest, row: dict) -> list:
    # a log group has a page; a service's spend has none
    resource = (digest.resource_link(str(row["resource_id"]), "log_group", row["account_id"], row["region"],
                                     row["resource_id"])
                if row["spike_kind"] == "log_ingestion" else Link(str(row["resource_id"]), None))
    tie = ""
    if row["cluster"]:
        tie = (f"cluster {row['cluster']}: {row['evicted_pods'] or 0} evicted, "
               f"{row['crash_looping_pods'] or 0} crash-looping pod(s)")
    return [str(row["spike_date"]), row["spike_kind"], _account(row), row["region"] or "", resource,
            _usd(row["day_usd"]), _usd(row["baseline_median_usd"]),
            "" if row["ratio"] is None else f"{float(row['ratio']):.1f}x", row["detail"] or "", tie]


RENDER = {
    "waste": (["per month", "category", "account", "region", "resource", "detail"], _waste),
    "open_ingress": (["account", "region", "security group", "ports", "from", "rule description", "used by"],
                     _open_rule),
    "k8s_unhealthy": (["cluster", "problem", "object", "detail", "since"], _unhealthy),
    "cost_spike": (["day", "kind", "account", "region", "resource", "that day", "7-day median", "ratio", "detail",
                    "Kubernetes"], _spike),
}


def _usd(value) -> str:
    return "" if value is None else f"${float(value):,.2f}"


def _html_cell(cell) -> str:
    if isinstance(cell, Link):
        if cell.href:
            return f"<a href=\"{escape(cell.href, quote=True)}\">{escape(cell.text)}</a>"
        return escape(cell.text)
    return escape("" if cell is None else str(cell))


def _plain(value) -> str:
    """Text on one line: a name holding line breaks or control characters cannot fake lines of its own."""
    return _CONTROL.sub(" ", "" if value is None else str(value))


def _text_cell(cell) -> str:
    if isinstance(cell, Link):
        return _plain(cell.text) + (f" <{cell.href}>" if cell.href else "")
    return _plain(cell)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, datetime) else ("" if value is None else str(value))


def _minutes(value) -> str:
    if value is None:
        return ""
    minutes = float(value)
    return f"{minutes / 60:.1f} h" if minutes >= 120 else f"{minutes:.0f} min"


def explorer_url() -> str | None:
    """The explorer's absolute URL for links in emails: Airflow's `[api] base_url` and the explorer's mount; None
    when base_url is not set (Airflow cannot guess its own address, nor can we)."""
    from airflow.configuration import conf

    from cloud_inventory.explorer.mount import PREFIX

    base = (conf.get("api", "base_url", fallback="") or "").strip().rstrip("/")
    return f"{base}{PREFIX}" if base.startswith(("http://", "https://")) else None


def send(message: MIMEMultipart, conn_id: str = "smtp_default") -> None:
    """Send a whole message (text and HTML alternatives) as the connection `conn_id` says.

    The SMTP provider's one public sender, send_email_smtp, builds an HTML-only message, so the client its hook
    opens and logs in (SSL, STARTTLS and its certificate check, login or OAuth2, its own connection retries) sends
    ours; the provider's own test_connection reaches that client the same way. Each attempt (1 + retry_limit)
    connects anew: a connection a send failed on is not reused."""
    import smtplib

    from airflow.providers.smtp.hooks.smtp import SmtpHook

    recipients = [address.strip() for address in message["To"].split(",") if address.strip()]
    failed = 0
    while True:
        with SmtpHook(smtp_conn_id=conn_id) as hook:  # connected and logged in (get_conn)
            try:
                hook._smtp_client.sendmail(message["From"], recipients, message.as_string())  # noqa: SLF001
                return
            except (smtplib.SMTPException, OSError):
                failed += 1
                if failed > hook.smtp_retry_limit:
                    raise
