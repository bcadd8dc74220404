"""What is never stored: the fields that may hold secrets, and the scrubber every row passes.

Both run where rows are made (`aws/transform.py::to_row`, `k8s/kinds.py::to_row`), before anything is
written, so the lake, the warehouse, emails and the explorer never see a secret:

1. `REDACTED`, one declared list (beside the AWS registry and the Kubernetes kinds) of the fields that
   may hold secrets, per AWS resource type (its registry name) and per Kubernetes kind. Their values
   become `MARKER`; the keys stay, so analysts still see *which* variables exist. Never a hash of a
   value: a hash of a low-entropy password is the password, one dictionary away.
2. One scrubber for every string column of every row (`raw`, names, tags, labels, messages): text that
   looks like a credential anywhere (access key ids, private keys, `password=`-style pairs, passwords in
   URLs) is masked (`scrub_row`, `scrub_json`, `scrub`). `aws/errors.py` masks error messages with the
   same scrubber (`scrub_message`).

A secret that is rotated therefore shows no change in the inventory: its stored value was the marker
before and after.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Literal

MARKER = "[redacted]"

# Kubernetes kind names of `Redacted.type` that are not kinds
EVERY_KIND = "*"  # every object, whatever its kind
UNLISTED_KIND = "?"  # objects of a kind without an entry in k8s/kinds.py (table `other`): CRDs, Secrets...

# The names of members and `name=value` pairs that hold credentials, lower case; a name matches when it ends
# with one of these (`DB_PASSWORD`, `clientSecret`, `x-amz-security-token`), so `secretName`, `tokenExpiry`
# and `passwordPolicy` do not.
CREDENTIAL_NAMES = (
    "password", "passwd", "passphrase", "pwd", "secret", "token", "apikey", "api_key", "api-key",
    "secretkey", "secret_key", "secret-key", "secretaccesskey", "secret_access_key", "secret-access-key",
    "privatekey", "private_key", "private-key", "credential", "credentials", "signature",
)


@dataclass(frozen=True)
class Redacted:
    """A field whose values are replaced by MARKER.

    `path` is dotted: `name` a member (`"a.b"` quoted when the name has dots), `name[]` every element of
    that list, `*` every value of a mapping, `<credential>` every member whose name ends with one of
    CREDENTIAL_NAMES and whose value is text, `**` any depth (for kinds whose schema we do not know).
    The value at the end of the path is replaced whatever it is (null stays null).
    """

    source: Literal["aws", "k8s"]
    type: str  # AWS: the registry entry's name; Kubernetes: the object's kind, EVERY_KIND or UNLISTED_KIND
    path: str
    why: str


def _pod_template(kind: str, spec: str) -> tuple[Redacted, ...]:
    """The env values of every container of a pod spec at `spec` (a workload's template, or the pod's own)."""
    return tuple(Redacted("k8s", kind, f"{spec}.{containers}[].env[].value",
                          "container env values: passwords, tokens, connection strings (valueFrom refs stay)")
                 for containers in ("containers", "initContainers", "ephemeralContainers"))


REDACTED: tuple[Redacted, ...] = (
    # AWS: a new resource type whose answer can carry a secret gets its line here (tests/test_redaction.py
    # walks botocore's output shape of every registry entry and fails on a secret-looking member not listed
    # here nor reviewed), e.g. ECS task definitions `containerDefinitions[].environment[].value`.
    Redacted("aws", "lambda_function", "Environment.Variables.*",
             "lambda:ListFunctions returns every function's environment: DB passwords, API keys"),
    Redacted("aws", "rds_instance", "PendingModifiedValues.MasterUserPassword", "a master password being set"),
    Redacted("aws", "rds_cluster", "PendingModifiedValues.MasterUserPassword", "a master password being set"),
    Redacted("aws", "redshift_cluster", "PendingModifiedValues.MasterUserPassword", "a master password being set"),
    Redacted("aws", "eks_cluster", "connectorConfig.activationCode",
             "registers an external cluster with EKS Connector: a credential until it expires"),
    Redacted("aws", "cloudfront_distribution", "Origins.Items[].CustomHeaders.Items[].HeaderValue",
             "custom origin headers are the usual shared secret an origin checks (X-Origin-Verify)"),
    # Kubernetes
    Redacted("k8s", EVERY_KIND, 'metadata.annotations."kubectl.kubernetes.io/last-applied-configuration"',
             "kubectl apply's copy of the whole manifest, env values and Secret data included"),
    Redacted("k8s", EVERY_KIND, "metadata.annotations.<credential>",
             "an annotation named like a credential (monitoring agents' `...password` annotations)"),
    *_pod_template("Pod", "spec"),
    *_pod_template("Deployment", "spec.template.spec"),
    *_pod_template("ReplicaSet", "spec.template.spec"),
    *_pod_template("StatefulSet", "spec.template.spec"),
    *_pod_template("DaemonSet", "spec.template.spec"),
    *_pod_template("Job", "spec.template.spec"),
    *_pod_template("CronJob", "spec.jobTemplate.spec.template.spec"),
    *_pod_template("ReplicationController", "spec.template.spec"),
    *_pod_template("PodTemplate", "template.spec"),
    Redacted("k8s", "Secret", "data.*", "the secret itself (base64 is not encryption)"),
    Redacted("k8s", "Secret", "stringData.*", "the secret itself"),
    Redacted("k8s", "ConfigMap", "data.*", "configuration files often carry passwords despite the advice"),
    Redacted("k8s", "ConfigMap", "binaryData.*", "configuration files often carry passwords despite the advice"),
    # Kinds we have no entry for (CRDs such as Argo Rollouts or Knative Services carry pod templates too):
    Redacted("k8s", UNLISTED_KIND, "**.env[].value", "env values of any container-like list, wherever it is"),
    Redacted("k8s", UNLISTED_KIND, "**.<credential>", "members named like a credential (spec.password, ...)"),
)


# --- declared paths ---------------------------------------------------------------------------------

_EACH, _VALUES, _CREDENTIAL, _ANY_DEPTH = "[]", "*", "<credential>", "**"
_SEGMENT = re.compile(r'"([^"]+)"(\[\])?|([^."\[\]]+)(\[\])?')


def parse_path(path: str) -> tuple[str, ...]:
    """`a."b.c"[].*` -> ("a", "b.c", "[]", "*"); raises ValueError on anything else."""
    steps: list[str] = []
    position = 0
    while True:
        match = _SEGMENT.match(path, position)
        if not match:
            raise ValueError(f"redaction path {path!r}: cannot read it at character {position}")
        name = match.group(1) or match.group(3)
        steps.append(name)
        if match.group(2) or match.group(4):
            steps.append(_EACH)
        position = match.end()
        if position == len(path):
            return tuple(steps)
        if path[position] != ".":
            raise ValueError(f"redaction path {path!r}: expected '.' at character {position}")
        position += 1


def credential_name(name: Any) -> bool:
    """True for a member or variable name that says it holds a credential (`DB_PASSWORD`, `clientSecret`)."""
    return isinstance(name, str) and name.lower().endswith(CREDENTIAL_NAMES)


Redactor = Callable[[Any], Any]
_END = ""  # in a trie node: a declared path ends here


def _leaf(value: Any) -> Any:
    return value if value is None else MARKER


def _unchanged(value: Any) -> Any:
    return value


def _trie(paths: list[tuple[str, ...]]) -> dict:
    root: dict = {}
    for steps in paths:
        node = root
        for step in steps:
            node = node.setdefault(step, {})
        node[_END] = {}
    return root


def _compile_node(node: dict) -> Redactor:
    """A function of a value returning it with what the trie `node` selects replaced by MARKER: the same object
    when nothing was selected, else a copy of only the containers on the way (the caller's object is never
    changed). Every declared path of a type is one trie, compiled once: an object is walked once, at dump speed."""
    if _END in node:
        return _leaf
    each = _compile_node(node[_EACH]) if _EACH in node else None
    values = _compile_node(node[_VALUES]) if _VALUES in node else None
    credential = _compile_node(node[_CREDENTIAL]) if _CREDENTIAL in node else None
    keyed = tuple((key, _compile_node(child)) for key, child in node.items()
                  if key not in (_EACH, _VALUES, _CREDENTIAL, _ANY_DEPTH))
    here = _compile_dict(keyed, values, credential) if keyed or values or credential else _unchanged
    if each is not None:
        here = _compile_list(each, here)
    if _ANY_DEPTH in node:
        return _anywhere(_compile_node(node[_ANY_DEPTH]), here)
    return here


def _compile_list(each: Redactor, otherwise: Redactor) -> Redactor:
    def redact_list(value: Any) -> Any:
        if type(value) is not list:
            return otherwise(value)
        copy = None
        for index, item in enumerate(value):
            new = each(item)
            if new is not item:
                if copy is None:
                    copy = list(value)
                copy[index] = new
        return value if copy is None else copy
    return redact_list


def _compile_dict(keyed: tuple[tuple[str, Redactor], ...], values: Redactor | None,
                  credential: Redactor | None) -> Redactor:
    def redact_dict(value: Any) -> Any:
        if type(value) is not dict:
            return value
        copy = None
        for key, redact in keyed:
            child = value.get(key)
            if child is not None:
                new = redact(child)
                if new is not child:
                    if copy is None:
                        copy = dict(value)
                    copy[key] = new
        if values is not None or credential is not None:
            for key, child in value.items():
                redact = values if values is not None else (
                    credential if type(child) is str and credential_name(key) else None)
                if redact is not None:
                    new = redact(child)
                    if new is not child:
                        if copy is None:
                            copy = dict(value)
                        copy[key] = new
        return value if copy is None else copy
    return redact_dict


def _anywhere(inner: Redactor, here: Redactor) -> Redactor:
    """`**`: `here` as usual at this level, then `inner` applied to every object inside, at any depth."""
    def walk(value: Any) -> Any:
        if type(value) is dict:
            value = inner(value)
            items = value.items()
        elif type(value) is list:
            items = enumerate(value)
        else:
            return value
        copy = None
        for key, child in items:
            if type(child) is dict or type(child) is list:
                new = walk(child)
                if new is not child:
                    if copy is None:
                        copy = dict(value) if type(value) is dict else list(value)
                    copy[key] = new
        return value if copy is None else copy

    return lambda value: walk(here(value))


def _compile(source: str) -> dict[str, list[tuple[str, ...]]]:
    paths: dict[str, list[tuple[str, ...]]] = {}
    for entry in REDACTED:
        if entry.source == source:
            paths.setdefault(entry.type, []).append(parse_path(entry.path))
    return paths


_AWS = {name: _compile_node(_trie(paths)) for name, paths in _compile("aws").items()}
_K8S_PATHS = _compile("k8s")
_K8S_EVERY_KIND = _K8S_PATHS.pop(EVERY_KIND, [])
_K8S_UNLISTED = _K8S_PATHS.pop(UNLISTED_KIND, [])
_K8S = {kind: _compile_node(_trie(_K8S_EVERY_KIND + paths)) for kind, paths in _K8S_PATHS.items()}
_K8S_UNLISTED_BY_KIND = {kind: _compile_node(_trie(_K8S_EVERY_KIND + _K8S_UNLISTED + paths))
                         for kind, paths in {**_K8S_PATHS, None: []}.items()}
_K8S_ANY = _compile_node(_trie(_K8S_EVERY_KIND))


def redact_aws(resource_type: str, item: Any) -> Any:
    """The item with its declared secret fields replaced by MARKER (a new object if any was; never in place)."""
    redact = _AWS.get(resource_type)
    return item if redact is None else redact(item)


def redact_k8s(obj: dict, *, listed: bool) -> dict:
    """The object with its kind's declared secret fields replaced by MARKER (never in place).

    listed: whether the kind has an entry in k8s/kinds.py; unlisted kinds also get the UNLISTED_KIND rules.
    """
    kind = obj.get("kind")
    if listed:
        return _K8S.get(kind, _K8S_ANY)(obj)
    return _K8S_UNLISTED_BY_KIND.get(kind, _K8S_UNLISTED_BY_KIND[None])(obj)


# --- the scrubber ---------------------------------------------------------------------------------------

# The scrubber's patterns, for every row and every error message:
# - AWS access key ids (AKIA..., ASIA...): AKIA[redacted];
# - private keys (-----BEGIN ... PRIVATE KEY----- to its END line, or to the end of a cut-short string): [redacted];
# - credential pairs, a name ending with one of CREDENTIAL_NAMES then `=`, `: `, or quotes around the name or
#   the value (`password=x`, `DB_PASSWORD: x`, `"token":"x"`, `'SessionToken': 'x'`): the value [redacted];
# - passwords in URLs (`postgres://app:x@db`): postgres://app:[redacted]@db;
# - bearer tokens (`Authorization: Bearer eyJ...`, a probe's httpHeaders value): Bearer [redacted];
# and, in error messages only, a lone 40-character base64 run (an AWS secret access key): in data it would
# mask git commit ids and paths.
# An access key id is 20 characters; the one before it is not alphanumeric, or it ends a JSON escape (`\n`,
# `\u00e9`). Written to start with the literal "A", which the regex engine skips to quickly.
_KEY_ID = re.compile(r"A(?:(?<![A-Za-z0-9]A)|(?<=\\[nrtbf]A)|(?<=\\u[0-9a-fA-F]{4}A))(KIA|SIA)[A-Z0-9]{16}"
                     r"(?![A-Za-z0-9])")
# A PEM private key, to its END line or, cut short, to the end of its string. In JSON text, the body never
# crosses a quote or half an escape, so the result stays valid JSON.
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[^\"\\]|\\[^\"\\])*?"
                          r"(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|(?=\"|\\[\"\\])|\Z)")
_URL_PASSWORD = re.compile(r"://[^/\s:@\"'\\]+:([^/\s@\"'\\]+)@")
# A bearer token of 16 characters or more (OAuth, JWT): shorter words after "bearer" are prose.
_BEARER = re.compile(r"(?<![A-Za-z0-9])([Bb]earer|BEARER)[ \t]+[A-Za-z0-9\-._~+/]{16,}=*")
_SECRET_ACCESS_KEY = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])")
# The value of a pair: to the next space, quote, backslash or list separator; in JSON text a \uXXXX escape too.
_PAIR_VALUE = {False: re.compile(r"[^\s\"'&,;]+"), True: re.compile(r"(?:[^\s\"'\\&,;]|\\u[0-9a-fA-F]{4})+")}
_NAME_WINDOW = max(map(len, CREDENTIAL_NAMES))
_ENDINGS = frozenset(name[-2:] for name in CREDENTIAL_NAMES)  # a cheap first look before the separator
_AROUND_NAME = " \t\"'\\"
# What could end a credential name (two letters) then, in JSON text, an escaped quote and a colon
# (`\"password\":`) or a colon and an escaped quote (`password:\"`); or, in any text, a colon and a space
# (`password: `). Each starts with a literal, which the regex engine skips to quickly.
_NAME_END = "(?i:%s)" % "|".join(sorted(_ENDINGS))
_NAME_LAST = "[%s]" % "".join(sorted({c for ending in _ENDINGS for c in (ending[-1], ending[-1].upper())}))
# (the cheap single-character looks first: most escaped quotes in JSON text are neither after a name nor a colon)
_ESCAPED_QUOTE_PAIR = re.compile(rf'\\"(?:(?=:)(?<={_NAME_LAST}\\")(?<={_NAME_END}\\")'
                                 rf'|(?<=:\\")(?<={_NAME_LAST}:\\")(?<={_NAME_END}:\\"))')
_SPACE_PAIR = re.compile(rf' (?<=: )(?:(?<={_NAME_LAST}: )(?<={_NAME_END}: )|(?<={_NAME_END}["\']: )'
                         rf'|(?<={_NAME_END}\\": ))')


def _pair_value(text: str, name_end: int, after: int, json_text: bool, spaced: bool) -> tuple[int, int] | None:
    """The value's span of a `name<sep>value` pair whose separator ends at `after`, if `name_end` ends a credential name.

    Quotes around the name and the value are allowed (`'token': 'x'`, `\\"password\\": \\"x\\"`); in JSON
    text an unescaped quote before the separator closes a JSON key (structure, not text: left to REDACTED).
    """
    end = name_end
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    if end > 1 and text[end - 1] == '"' and text[end - 2] == "\\":
        end -= 2
    elif end > 0 and (text[end - 1] == "'" or (text[end - 1] == '"' and not json_text)):
        end -= 1
    if not text[max(0, end - _NAME_WINDOW):end].lower().endswith(CREDENTIAL_NAMES):
        return None
    start = after
    while start < len(text) and text[start] in " \t":
        start += 1
    quoted = False
    if text.startswith('\\"', start):
        start, quoted = start + 2, True
    elif start < len(text) and (text[start] == "'" or (text[start] == '"' and not json_text)):
        start, quoted = start + 1, True
    if not (spaced or quoted or start > after):  # `token:80` is a host and port, not a pair
        return None
    match = _PAIR_VALUE[json_text].match(text, start)
    return match.span() if match else None


def _pairs(text: str, json_text: bool) -> list[tuple[int, int]]:
    """Spans of the values of credential pairs (`name=value`, `name: value`, `name:"value"`, `"name":"value"`...).

    Found from their separators, never by trying every position: in JSON text from the rare characters
    around a separator (`=`, `'`, a space, an escaped quote), each found at C speed; a separator is looked
    at closely only when the two letters before it could end a credential name.
    """
    spans = []
    colons: list[int] = []
    if json_text:
        for match in _ESCAPED_QUOTE_PAIR.finditer(text):  # \"password\":  or  password:\"
            at = match.start()
            colons.append(at + 2 if text.startswith(":", at + 2) else at - 1)
        colons.extend(match.start() - 1 for match in _SPACE_PAIR.finditer(text))  # password: x
        at = text.find("'")
        while at >= 0:  # 'password':'x'  or  password:'x'
            if text.startswith(":", at + 1):
                colons.append(at + 1)
            elif at > 0 and text[at - 1] == ":":
                colons.append(at - 1)
            at = text.find("'", at + 1)
    else:  # plain text is short: every colon
        at = text.find(":")
        while at >= 0:
            colons.append(at)
            at = text.find(":", at + 1)
    for colon in colons:
        if span := _pair_value(text, colon, colon + 1, json_text, spaced=text[colon + 1:colon + 2] in (" ", "\t")):
            spans.append(span)
    at = text.find("=")
    while at >= 0:
        if text[max(0, at - 4):at].rstrip(_AROUND_NAME)[-2:].lower() in _ENDINGS \
                and (span := _pair_value(text, at, at + 1, json_text, spaced=True)):
            spans.append(span)
        at = text.find("=", at + 1)
    return spans


def _url_passwords(text: str) -> list[tuple[int, int]]:
    spans = []
    at = text.find("@")
    while at >= 0:
        if text.startswith("sha256:", at + 1):  # an image digest, the usual "@" of a Kubernetes object
            at = text.find("@", at + 1)
            continue
        scheme = text.rfind("://", max(0, at - 512), at)
        if scheme >= 0 and (match := _URL_PASSWORD.match(text, scheme)) and match.end() == at + 1:
            spans.append(match.span(1))
        at = text.find("@", at + 1)
    return spans


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    parts, position = [], 0
    for start, end in sorted(spans):
        if start < position:  # overlapping spans (a value holding another pair): already masked
            start = position
            if start >= end:
                continue
        parts.append(text[position:start])
        parts.append(MARKER)
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _scrub(text: str, json_text: bool) -> str:
    text = _KEY_ID.sub(lambda m: "A" + m.group(1) + MARKER, text)
    if "PRIVATE KEY-----" in text:
        text = _PRIVATE_KEY.sub(MARKER, text)
    if "earer" in text or "BEARER" in text:
        text = _BEARER.sub(lambda m: f"{m.group(1)} {MARKER}", text)
    spans = _pairs(text, json_text)
    if "@" in text:
        spans += _url_passwords(text)
    return _mask(text, spans) if spans else text


def scrub(text: str) -> str:
    """Plain text (a name, a tag, a message) with whatever looks like a credential masked."""
    return _scrub(text, json_text=False)


def scrub_json(text: str) -> str:
    """JSON text (as `values.to_json` writes it: no spaces between tokens) scrubbed inside its strings only;
    the very same object when there was nothing to mask.

    The result is valid JSON: masks never cross a quote or split an escape. Members named like credentials
    (`{"password":"x"}`) are structure, redacted by REDACTED's rules, not here.
    """
    return _scrub(text, json_text=True)


def scrub_field_names(text: str) -> str:
    """JSON text of field names only (Kubernetes' metadata.managedFields: `f:env`, `k:{\\"name\\":\\"DB_URL\\"}`):
    access key ids and private keys masked, no pair scan (field names are not values; and their thousands of
    escaped quotes would double the cost of scrubbing a pod)."""
    text = _KEY_ID.sub(lambda m: "A" + m.group(1) + MARKER, text)
    return _PRIVATE_KEY.sub(MARKER, text) if "PRIVATE KEY-----" in text else text


def scrub_message(text: str) -> str:
    """An error message scrubbed, including the patterns too eager for data (lone 40-character secret keys)."""
    return _SECRET_ACCESS_KEY.sub(MARKER, scrub(text))


def _scrub_value(value: Any, clean: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {key: _scrub_value(item, clean) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_value(item, clean) for item in value]
    return value


def _texts(row: dict, skip: tuple[str, ...]) -> list[str]:
    """The text in a row's columns (strings, and the strings in maps and lists: the lake's column types)."""
    texts = [value for name, value in row.items() if type(value) is str and name not in skip]
    for value in row.values():
        if type(value) is dict:
            texts.extend(item for item in value.values() if type(item) is str)
        elif type(value) is list:
            texts.extend(item for item in value if type(item) is str)
    return texts


def scrub_row(row: dict, json_columns: tuple[str, ...] = ("raw",)) -> dict:
    """The row with every string column scrubbed (text in maps and lists too); `json_columns` hold JSON text.

    The other columns are scrubbed together first (joined by newlines, which no pattern crosses), and one
    by one only when that found something: a row costs one scan of its short columns, not one per column.
    """
    for name in json_columns:
        if isinstance(row.get(name), str):
            row[name] = scrub_json(row[name])
    return scrub_columns(row, skip=json_columns)


def scrub_columns(row: dict, skip: tuple[str, ...]) -> dict:
    """The row with its string columns but `skip` scrubbed as plain text (see scrub_row)."""
    joined = "\n".join(_texts(row, skip))
    if scrub(joined) != joined:
        for name, value in row.items():
            if name not in skip:
                row[name] = _scrub_value(value, scrub)
    return row
