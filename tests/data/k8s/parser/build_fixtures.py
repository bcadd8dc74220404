"""Regenerates the parser fixtures: `python build_fixtures.py` (needs kubectl on PATH; no cluster).

Objects kubectl can create client-side come from `kubectl create ... --dry-run=client -o json`; the
server-side parts (uid, creationTimestamp, resourceVersion, status) and the kinds kubectl cannot
create offline (pods, nodes, claims, volumes, events, replicasets, statefulsets, daemonsets) are written
by hand, shaped like the API's answers. The dump is a `List` as `kubectl get a,b,c -o json` prints it.
"""
from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
CREATED = "2026-11-01T09:00:00Z"
_uid = 0


def uid() -> str:
    global _uid
    _uid += 1
    return f"00000000-0000-4000-8000-{_uid:012d}"


def kubectl(*args: str) -> dict:
    return json.loads(subprocess.run(["kubectl", "create", *args, "--dry-run=client", "-o", "json"],
                                     check=True, capture_output=True, text=True).stdout)


def served(obj: dict, **status) -> dict:
    """What the API server adds to a created object."""
    obj["metadata"].update(uid=uid(), resourceVersion=str(1000 + _uid), creationTimestamp=CREATED)
    if status:
        obj["status"] = status
    return obj


def meta(name: str, namespace: str | None = None, **extra) -> dict:
    result = {"name": name, "uid": uid(), "resourceVersion": str(1000 + _uid), "creationTimestamp": CREATED}
    if namespace:
        result["namespace"] = namespace
    result.update(extra)
    return result


def container(name: str, image: str, cpu: str | None = None, memory: str | None = None,
              cpu_limit: str | None = None, memory_limit: str | None = None) -> dict:
    resources: dict = {}
    if cpu or memory:
        resources["requests"] = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    if cpu_limit or memory_limit:
        resources["limits"] = {k: v for k, v in (("cpu", cpu_limit), ("memory", memory_limit)) if v}
    return {"name": name, "image": image, "resources": resources, "imagePullPolicy": "IfNotPresent",
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}


def status_of(name: str, image: str, ready: bool, restarts: int, state: dict, last: dict | None = None) -> dict:
    return {"name": name, "image": image, "imageID": "", "ready": ready, "restartCount": restarts,
            "started": ready, "state": state, "lastState": last or {},
            "containerID": "containerd://" + "ab" * 32 if ready else None}


def pod(name: str, namespace: str, containers: list[dict], status: dict, owner: tuple[str, str] | None = None,
        node: str | None = "ip-10-0-1-23.ec2.internal", labels: dict | None = None) -> dict:
    metadata = meta(name, namespace, labels=labels or {"app": name.split("-")[0]})
    if owner:
        metadata["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "uid": uid(),
                                        "controller": True, "blockOwnerDeletion": True}]
    spec = {"containers": containers, "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "schedulerName": "default-scheduler", "priority": 0}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def running(ip: str) -> dict:
    return {"phase": "Running", "hostIP": "10.0.1.23", "hostIPs": [{"ip": "10.0.1.23"}], "podIP": ip,
            "podIPs": [{"ip": ip}], "startTime": "2026-11-01T09:00:05Z",
            "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": None,
                            "lastTransitionTime": "2026-11-01T09:00:09Z"}]}


def pods() -> list[dict]:
    web = pod("web-7d4b9c8f6d-x2x9k", "shop",
              [container("web", "nginx:1.27", "100m", "128Mi", "500m", "256Mi"),
               container("sidecar", "envoy:1.31", "0.25", "1Gi", "1", "1Gi")],
              {**running("10.0.1.57"), "qosClass": "Burstable",
               "containerStatuses": [
                   status_of("web", "nginx:1.27", True, 0, {"running": {"startedAt": "2026-11-01T09:00:07Z"}}),
                   status_of("sidecar", "envoy:1.31", True, 1, {"running": {"startedAt": "2026-11-01T09:00:08Z"}})]},
              owner=("ReplicaSet", "web-7d4b9c8f6d"))
    crash = pod("api-5f6c7d8e9f-abcde", "shop", [container("api", "shop/api:2.3", "500m", "512Mi", "1", "512Mi")],
                {**running("10.0.1.58"), "qosClass": "Burstable",
                 "containerStatuses": [status_of(
                     "api", "shop/api:2.3", False, 42,
                     {"waiting": {"reason": "CrashLoopBackOff",
                                  "message": "back-off 5m0s restarting failed container=api pod=api-5f6c7d8e9f-abcde_shop"}},
                     {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": "2026-11-20T07:55:00Z",
                                     "finishedAt": "2026-11-20T07:58:00Z", "containerID": "containerd://" + "cd" * 32}})]},
                owner=("ReplicaSet", "api-5f6c7d8e9f"))
    pull = pod("worker-0", "shop", [container("worker", "shop/worker:does-not-exist", "2", "1e3")],
               {"phase": "Pending", "hostIP": "10.0.1.23", "podIP": "10.0.1.59", "qosClass": "Burstable",
                "startTime": "2026-11-20T07:00:00Z",
                "containerStatuses": [status_of(
                    "worker", "shop/worker:does-not-exist", False, 0,
                    {"waiting": {"reason": "ImagePullBackOff",
                                 "message": "Back-off pulling image \"shop/worker:does-not-exist\""}})]},
               owner=("StatefulSet", "worker"))
    evicted = pod("report-6b7c8d9e0f-zzzzz", "ops", [container("report", "ops/report:1")],
                  {"phase": "Failed", "reason": "Evicted",
                   "message": "The node was low on resource: ephemeral-storage. Threshold quantity: 2Gi, available: 1Ki.",
                   "startTime": "2026-11-19T01:00:00Z", "qosClass": "BestEffort", "hostIP": "10.0.2.40",
                   "containerStatuses": [status_of("report", "ops/report:1", False, 0, {"terminated": {
                       "exitCode": 137, "reason": "ContainerStatusUnknown", "message": "The container could not be located when the pod was terminated",
                       "startedAt": None, "finishedAt": None}})]},
                  owner=("ReplicaSet", "report-6b7c8d9e0f"), node="ip-10-0-2-40.ec2.internal")
    pending = pod("big-0", "ops", [container("big", "ops/big:1", "64", "512Gi", "64", "512Gi")],
                  {"phase": "Pending", "qosClass": "Guaranteed", "conditions": [{
                      "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastProbeTime": None,
                      "lastTransitionTime": "2026-11-20T06:00:00Z",
                      "message": "0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory."}]},
                  owner=("StatefulSet", "big"), node=None)
    return [web, crash, pull, evicted, pending]


def workloads() -> list[dict]:
    deployment = served(kubectl("deployment", "web", "--image=nginx:1.27", "--replicas=3", "-n", "shop"),
                        observedGeneration=2, replicas=3, updatedReplicas=3, readyReplicas=2, availableReplicas=2,
                        unavailableReplicas=1)
    deployment["metadata"]["generation"] = 2
    down = served(kubectl("deployment", "api", "--image=shop/api:2.3", "--replicas=2", "-n", "shop"),
                  observedGeneration=1, replicas=2, updatedReplicas=2, unavailableReplicas=2)  # no ready: left out
    replicaset = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": meta("web-7d4b9c8f6d", "shop", labels={"app": "web", "pod-template-hash": "7d4b9c8f6d"},
                                   ownerReferences=[{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                                     "uid": deployment["metadata"]["uid"], "controller": True,
                                                     "blockOwnerDeletion": True}]),
                  "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "7d4b9c8f6d"}}},
                  "status": {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2, "availableReplicas": 2,
                             "observedGeneration": 2}}
    statefulset = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta("worker", "shop", labels={"app": "worker"}),
                   "spec": {"replicas": 2, "serviceName": "worker", "selector": {"matchLabels": {"app": "worker"}}},
                   "status": {"replicas": 2, "readyReplicas": 1, "currentReplicas": 2, "updatedReplicas": 2,
                              "availableReplicas": 1, "observedGeneration": 1, "collisionCount": 0}}
    daemonset = {"apiVersion": "apps/v1", "kind": "DaemonSet",
                 "metadata": meta("aws-node", "kube-system", labels={"k8s-app": "aws-node"}),
                 "spec": {"selector": {"matchLabels": {"k8s-app": "aws-node"}}},
                 "status": {"currentNumberScheduled": 3, "desiredNumberScheduled": 3, "numberMisscheduled": 0,
                            "numberReady": 2, "numberAvailable": 2, "numberUnavailable": 1,
                            "updatedNumberScheduled": 3, "observedGeneration": 1}}
    job = served(kubectl("job", "backup", "--image=busybox", "-n", "ops"),
                 startTime="2026-11-20T02:00:00Z", failed=3, ready=0, terminating=0,
                 conditions=[{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                              "message": "Job has reached the specified backoff limit",
                              "lastProbeTime": "2026-11-20T02:10:00Z", "lastTransitionTime": "2026-11-20T02:10:00Z"}])
    job["metadata"]["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "nightly",
                                           "uid": "00000000-0000-4000-8000-999999999999", "controller": True,
                                           "blockOwnerDeletion": True}]
    cronjob = served(kubectl("cronjob", "nightly", "--image=busybox", "--schedule=0 2 * * *", "-n", "ops"),
                     lastScheduleTime="2026-11-20T02:00:00Z", lastSuccessfulTime="2026-11-18T02:01:10Z")
    return [deployment, down, replicaset, statefulset, daemonset, job, cronjob]


def networking() -> list[dict]:
    service = served(kubectl("service", "loadbalancer", "web", "--tcp=80:8080", "--tcp=443:8443", "-n", "shop"),
                     loadBalancer={"ingress": [{"hostname": "a1b2c3-123456789.us-east-1.elb.amazonaws.com"}]})
    service["spec"].update(clusterIP="172.20.10.5", clusterIPs=["172.20.10.5"], ipFamilies=["IPv4"],
                           ipFamilyPolicy="SingleStack", sessionAffinity="None", externalTrafficPolicy="Cluster",
                           allocateLoadBalancerNodePorts=True, internalTrafficPolicy="Cluster")
    for port, node_port in zip(service["spec"]["ports"], (31380, 31443)):
        port["nodePort"] = node_port
    internal = served(kubectl("service", "clusterip", "api", "--tcp=8080", "-n", "shop"), loadBalancer={})
    internal["spec"].update(clusterIP="172.20.10.6", clusterIPs=["172.20.10.6"])
    ingress = served(kubectl("ingress", "web", "-n", "shop", "--class=alb",
                             "--rule=shop.example.com/api*=web:80", "--rule=shop.example.com/=front:http",
                             "--rule=admin.example.com/*=admin:8443", "--default-backend=default-http:80"),
                     loadBalancer={"ingress": [{"hostname": "k8s-shop-web-0123456789.us-east-1.elb.amazonaws.com"}]})
    return [service, internal, ingress]


def nodes() -> list[dict]:
    def node(name: str, zone: str, instance: str, disk_pressure: bool, ready: str = "True") -> dict:
        conditions = [
            ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
            ("DiskPressure", "True" if disk_pressure else "False",
             "KubeletHasDiskPressure" if disk_pressure else "KubeletHasNoDiskPressure"),
            ("PIDPressure", "False", "KubeletHasSufficientPID"),
            ("Ready", ready, "KubeletReady" if ready == "True" else "NodeStatusUnknown")]
        return {"apiVersion": "v1", "kind": "Node", "metadata": meta(name, labels={
            "beta.kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
            "node.kubernetes.io/instance-type": "m5.xlarge", "topology.kubernetes.io/zone": zone,
            "topology.kubernetes.io/region": "us-east-1", "eks.amazonaws.com/nodegroup": "general",
            "eks.amazonaws.com/capacityType": "ON_DEMAND"}, annotations={"node.alpha.kubernetes.io/ttl": "0"}),
            "spec": {"providerID": f"aws:///{zone}/{instance}"},
            "status": {
                "capacity": {"cpu": "4", "ephemeral-storage": "83873772Ki", "hugepages-1Gi": "0",
                             "memory": "15896552Ki", "pods": "58"},
                "allocatable": {"cpu": "3920m", "ephemeral-storage": "76224326324", "hugepages-1Gi": "0",
                                "memory": "14880744Ki", "pods": "58"},
                "conditions": [{"type": t, "status": s, "reason": r, "message": r,
                                "lastHeartbeatTime": "2026-11-20T07:59:00Z",
                                "lastTransitionTime": "2026-11-01T09:00:00Z"} for t, s, r in conditions],
                "addresses": [{"type": "InternalIP", "address": "10.0." + name.split("-")[3] + ".23"},
                              {"type": "Hostname", "address": name}],
                "nodeInfo": {"kubeletVersion": "v1.31.2-eks-7f9249a", "kubeProxyVersion": "v1.31.2-eks-7f9249a",
                             "containerRuntimeVersion": "containerd://1.7.22", "osImage": "Amazon Linux 2023",
                             "architecture": "amd64", "operatingSystem": "linux"}}}
    old = node("ip-10-0-3-77.ec2.internal", "us-east-1c", "i-0fedcba9876543210", False, ready="Unknown")
    old["metadata"]["labels"] = {"beta.kubernetes.io/instance-type": "t3.large",
                                 "failure-domain.beta.kubernetes.io/zone": "us-east-1c"}
    old["spec"]["unschedulable"] = True
    return [node("ip-10-0-1-23.ec2.internal", "us-east-1a", "i-0abc1234def567890", False),
            node("ip-10-0-2-40.ec2.internal", "us-east-1b", "i-0123456789abcdef0", True), old]


def storage() -> list[dict]:
    bound = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
             "metadata": meta("data-worker-0", "shop", labels={"app": "worker"},
                              annotations={"pv.kubernetes.io/bind-completed": "yes"},
                              finalizers=["kubernetes.io/pvc-protection"]),
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}},
                      "storageClassName": "gp3", "volumeMode": "Filesystem",
                      "volumeName": "pvc-00000000-0000-4000-8000-aaaaaaaaaaaa"},
             "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "20Gi"}}}
    pending = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": meta("data-big-0", "ops", labels={"app": "big"}, finalizers=["kubernetes.io/pvc-protection"]),
               "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "500G"}},
                        "storageClassName": "io2", "volumeMode": "Filesystem"},
               "status": {"phase": "Pending"}}
    csi = {"apiVersion": "v1", "kind": "PersistentVolume",
           "metadata": meta("pvc-00000000-0000-4000-8000-aaaaaaaaaaaa",
                            annotations={"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com"},
                            finalizers=["kubernetes.io/pv-protection", "external-attacher/ebs-csi-aws-com"]),
           "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "20Gi"},
                    "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": "data-worker-0",
                                 "namespace": "shop", "uid": bound["metadata"]["uid"], "resourceVersion": "1234"},
                    "csi": {"driver": "ebs.csi.aws.com", "fsType": "ext4", "volumeHandle": "vol-0a1b2c3d4e5f67890",
                            "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "1730000000000-8081-ebs.csi.aws.com"}},
                    "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [{
                        "key": "topology.kubernetes.io/zone", "operator": "In", "values": ["us-east-1a"]}]}]}},
                    "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "gp3", "volumeMode": "Filesystem"},
           "status": {"phase": "Bound", "lastPhaseTransitionTime": "2026-11-01T09:00:03Z"}}
    in_tree = {"apiVersion": "v1", "kind": "PersistentVolume",
               "metadata": meta("legacy-data", labels={"topology.kubernetes.io/zone": "us-east-1b"}),
               "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "100Gi"},
                        "awsElasticBlockStore": {"fsType": "ext4", "volumeID": "aws://us-east-1b/vol-0fedcba9876543210"},
                        "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "gp2", "volumeMode": "Filesystem"},
               "status": {"phase": "Released"}}
    return [bound, pending, csi, in_tree]


def namespaces() -> list[dict]:
    result = []
    for name in ("default", "kube-system", "shop", "ops"):
        obj = served(kubectl("namespace", name), phase="Active")
        obj["metadata"]["labels"] = {"kubernetes.io/metadata.name": name}
        obj["spec"] = {"finalizers": ["kubernetes"]}
        result.append(obj)
    return result


def events() -> list[dict]:
    def event(name: str, namespace: str, kind: str, obj: str, type_: str, reason: str, message: str, count: int,
              component: str) -> dict:
        return {"apiVersion": "v1", "kind": "Event", "metadata": meta(name, namespace),
                "involvedObject": {"apiVersion": "v1", "kind": kind, "name": obj, "namespace": namespace,
                                   "uid": uid(), "resourceVersion": "1"},
                "type": type_, "reason": reason, "message": message, "count": count,
                "firstTimestamp": "2026-11-20T06:00:00Z", "lastTimestamp": "2026-11-20T07:58:00Z",
                "source": {"component": component, "host": "ip-10-0-1-23.ec2.internal"},
                "reportingComponent": component, "reportingInstance": "", "eventTime": None}
    series = {"apiVersion": "v1", "kind": "Event", "metadata": meta("big-0.1880a1b2c3d4e5f6", "ops"),
              "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "big-0", "namespace": "ops", "uid": uid()},
              "type": "Warning", "reason": "FailedScheduling",
              "message": "0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory.",
              "source": {}, "firstTimestamp": None, "lastTimestamp": None,
              "eventTime": "2026-11-20T06:00:00.123456Z", "series": {"count": 17, "lastObservedTime": "2026-11-20T07:50:00.654321Z"},
              "action": "Scheduling", "reportingComponent": "default-scheduler", "reportingInstance": "default-scheduler-ip-10-0-0-1"}
    return [event("api-5f6c7d8e9f-abcde.1880a0f0e1d2c3b4", "shop", "Pod", "api-5f6c7d8e9f-abcde", "Warning", "BackOff",
                  "Back-off restarting failed container api in pod api-5f6c7d8e9f-abcde_shop", 397, "kubelet"),
            event("web.1880a0f0e1d2c3b5", "shop", "Deployment", "web", "Normal", "ScalingReplicaSet",
                  "Scaled up replica set web-7d4b9c8f6d to 3", 1, "deployment-controller"),
            series]


def vpa() -> dict:
    return {"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
            "metadata": meta("web", "shop", labels={"app": "web"}),
            "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "updatePolicy": {"updateMode": "Off"}},
            "status": {"recommendation": {"containerRecommendations": [
                {"containerName": "web", "target": {"cpu": "25m", "memory": "262144k"}}]}}}


def as_list(items: list[dict]) -> dict:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def dump(obj, path: Path, *, gz: bool = False) -> bytes:
    text = (json.dumps(obj, indent=4) + "\n").encode()  # kubectl's own indentation
    path.write_bytes(gzip.compress(text, mtime=0) if gz else text)
    return text


def main() -> None:
    objects = pods() + workloads() + networking() + nodes() + storage() + namespaces() + events()
    order = {k: i for i, k in enumerate(["Pod", "Service", "Ingress", "Deployment", "ReplicaSet", "StatefulSet",
                                         "DaemonSet", "Job", "CronJob", "Node", "PersistentVolumeClaim",
                                         "PersistentVolume", "Namespace", "Event"])}
    objects.sort(key=lambda o: order[o["kind"]])  # kubectl prints kind by kind, in the order asked
    text = dump(as_list(objects), HERE / "cluster.json")
    dump(as_list(objects), HERE / "cluster.json.gz", gz=True)
    dump(objects[0], HERE / "single-pod.json")
    dump(vpa(), HERE / "unknown-kind.json")
    dump(as_list([objects[0], vpa()]), HERE / "unknown-kind-list.json.gz", gz=True)
    # bad dumps
    compressed = gzip.compress(text, mtime=0)
    (HERE / "bad-truncated.json.gz").write_bytes(compressed[: len(compressed) // 2])
    corrupt = bytearray(compressed)
    for offset in range(len(corrupt) // 3, len(corrupt) // 3 + 64):
        corrupt[offset] ^= 0xFF
    (HERE / "bad-corrupt.json.gz").write_bytes(bytes(corrupt))
    (HERE / "bad-truncated.json").write_bytes(text[: len(text) * 2 // 3])
    (HERE / "bad-empty.json").write_bytes(b"")
    (HERE / "bad-empty.json.gz").write_bytes(gzip.compress(b"", mtime=0))
    (HERE / "bad-array.json").write_bytes(b"[]\n")
    (HERE / "bad-not-k8s.json").write_bytes(b'{"foo": 1}\n')
    (HERE / "bad-scalar.json").write_bytes(b"42\n")
    no_metadata = as_list([json.loads(json.dumps(o)) for o in objects[:3]])
    del no_metadata["items"][2]["metadata"]
    dump(no_metadata, HERE / "bad-no-metadata.json")
    not_list = as_list(objects[:2])
    del not_list["kind"]
    dump(not_list, HERE / "bad-list-without-kind.json")


if __name__ == "__main__":
    main()
