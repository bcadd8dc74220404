#!/bin/sh
# k8s-dump.sh: dump one Kubernetes cluster's state and upload it to the cloud-inventory drop box.
#
# Usage: k8s-dump.sh <cluster-name> <dumps-uri>
#        CLUSTER_NAME=<cluster-name> DUMPS_URI=s3://bucket/prefix k8s-dump.sh
#
# Runs one `kubectl get <kinds> --all-namespaces -o json` into a private temporary file, gzips it and
# uploads it with a single `aws s3 cp --sse AES256` to
#   <dumps-uri>/cluster=<cluster-name>/dt=<YYYY-MM-DD>/<YYYYMMDDTHHMMSSZ>.json.gz   (UTC)
# A failed or empty kubectl run uploads nothing. S3 makes an object visible only once its upload has
# completed (multipart uploads too), so readers never see a partial dump.
#
# Environment (all optional except as noted):
#   CLUSTER_NAME            the cluster name, when not given as the first argument
#   DUMPS_URI               s3://bucket[/prefix], when not given as the second argument
#                           (INVENTORY_DUMPS_URI is accepted too, the pipeline's own setting)
#   KUBECTL_CONTEXT         kubeconfig context to use (default: kubectl's current context)
#   KUBECTL_REQUEST_TIMEOUT kubectl --request-timeout (default 60s)
#   KUBECONFIG, AWS_*       honoured by kubectl and the AWS CLI themselves
#   TMPDIR                  where the temporary files go (default /tmp)
#
# Exit status: 0 uploaded; 2 usage or invalid argument; 3 kubectl failed or printed nothing;
#              4 upload failed; 5 local failure (temporary file, gzip).
# Needs only a POSIX shell, kubectl, gzip and the AWS CLI (v1 or v2).

set -u
LC_ALL=C
export LC_ALL
umask 077 # the dump holds pod specs, whose env values may be secrets

PROG=k8s-dump
KINDS=pods,services,ingresses,deployments,replicasets,statefulsets,daemonsets,jobs,cronjobs,nodes,persistentvolumeclaims,persistentvolumes,namespaces,events

usage() {
    cat <<EOF
usage: $0 <cluster-name> <dumps-uri>
       CLUSTER_NAME=<cluster-name> DUMPS_URI=s3://bucket/prefix $0

Dumps the current kubectl context's cluster state (or KUBECTL_CONTEXT's) and uploads it to
<dumps-uri>/cluster=<cluster-name>/dt=<YYYY-MM-DD>/<YYYYMMDDTHHMMSSZ>.json.gz (UTC, SSE AES256).
Exit status: 0 ok, 2 usage, 3 kubectl failed, 4 upload failed, 5 local failure.
EOF
}

die() { # die <status> <message>
    printf '%s: error: %s\n' "$PROG" "$2" >&2
    exit "$1"
}

case ${1:-} in
    -h | --help)
        usage
        exit 0
        ;;
esac
if [ "$#" -gt 2 ]; then
    usage >&2
    die 2 "too many arguments ($#); expected <cluster-name> <dumps-uri>"
fi

cluster=${1:-${CLUSTER_NAME:-}}
uri=${2:-${DUMPS_URI:-${INVENTORY_DUMPS_URI:-}}}

# ---- validate everything before touching kubectl, the disk or S3 -------------------------------------
if [ -z "$cluster" ] || [ -z "$uri" ]; then
    usage >&2
    die 2 "missing cluster name or dumps uri (arguments or CLUSTER_NAME / DUMPS_URI)"
fi

# a DNS label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters; it becomes a key segment and
# must match the bastion role's `cluster` tag (the bucket policy's ${aws:PrincipalTag/cluster})
case $cluster in
    *[!a-z0-9-]* | -* | *-)
        die 2 "invalid cluster name '$cluster': lowercase letters, digits and '-', starting and ending with a letter or digit"
        ;;
esac
if [ "${#cluster}" -gt 63 ]; then
    die 2 "invalid cluster name '$cluster': longer than 63 characters"
fi

case $uri in
    s3://*) ;;
    *) die 2 "invalid dumps uri '$uri': expected s3://bucket[/prefix]" ;;
esac
rest=${uri#s3://}
while :; do # drop trailing slashes
    case $rest in
        */) rest=${rest%/} ;;
        *) break ;;
    esac
done
bucket=${rest%%/*}
prefix=
case $rest in
    */*) prefix=${rest#*/} ;;
esac
case $bucket in
    '' | *[!a-z0-9.-]* | [.-]* | *[.-])
        die 2 "invalid dumps uri '$uri': bad bucket name '$bucket'"
        ;;
esac
if [ "${#bucket}" -lt 3 ] || [ "${#bucket}" -gt 63 ]; then
    die 2 "invalid dumps uri '$uri': bucket name must be 3 to 63 characters"
fi
case $prefix in
    *[!A-Za-z0-9/._=-]* | /* | *//*)
        die 2 "invalid dumps uri '$uri': prefix may hold letters, digits and / . _ = - (no empty segments)"
        ;;
esac

case ${KUBECTL_REQUEST_TIMEOUT:=60s} in
    '' | *[!0-9smh]*) die 2 "invalid KUBECTL_REQUEST_TIMEOUT '$KUBECTL_REQUEST_TIMEOUT' (e.g. 60s, 2m)" ;;
esac

# ---- dump ------------------------------------------------------------------------------------------
tmpdir=
cleanup() {
    if [ -n "$tmpdir" ]; then
        rm -rf "$tmpdir"
    fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/k8s-dump.XXXXXXXX") || {
    tmpdir=
    die 5 "cannot create a temporary directory under ${TMPDIR:-/tmp}"
}
json=$tmpdir/dump.json
gz=$tmpdir/dump.json.gz

# one instant for both the partition date and the file name (no midnight race); taken just before
# kubectl runs, so it is never later than the state the dump shows
now=$(date -u '+%Y-%m-%d %Y%m%dT%H%M%SZ') || die 5 "date failed"
day=${now% *}
stamp=${now#* }
key=${prefix:+$prefix/}cluster=$cluster/dt=$day/$stamp.json.gz
dest=s3://$bucket/$key

set -- get "$KINDS" --all-namespaces -o json --request-timeout="$KUBECTL_REQUEST_TIMEOUT"
if [ -n "${KUBECTL_CONTEXT:-}" ]; then
    set -- --context "$KUBECTL_CONTEXT" "$@"
fi
# kubectl exits non-zero when any kind could not be listed (RBAC, API not served, timeout), even
# when it printed the others: a partial dump is never uploaded
kubectl "$@" >"$json"
status=$?
if [ "$status" -ne 0 ]; then
    die 3 "cluster '$cluster': kubectl get failed with exit code $status; nothing uploaded"
fi
if [ ! -s "$json" ]; then
    die 3 "cluster '$cluster': kubectl get exited 0 but printed nothing; nothing uploaded"
fi

gzip -c -n "$json" >"$gz" || die 5 "cluster '$cluster': gzip failed; nothing uploaded"
json_bytes=$(($(wc -c <"$json")))
gz_bytes=$(($(wc -c <"$gz")))

# ---- upload ----------------------------------------------------------------------------------------
# --sse AES256: the drop-box bucket policy denies any PutObject without server-side encryption
aws s3 cp "$gz" "$dest" --sse AES256 --only-show-errors --content-type application/gzip
status=$?
if [ "$status" -ne 0 ]; then
    die 4 "cluster '$cluster': upload to $dest failed (aws exit code $status)"
fi

printf '%s: cluster=%s uploaded %s (%s bytes gzip, %s bytes json)\n' "$PROG" "$cluster" "$dest" "$gz_bytes" "$json_bytes"
