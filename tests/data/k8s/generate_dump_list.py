"""Regenerates tests/data/k8s/dump-list.json (needs kubectl on PATH; no cluster).

The objects start from `kubectl create ... --dry-run=client -o json` where kubectl can make them and
get the fields a real API server adds (uid, resourceVersion, creationTimestamp, ownerReferences, status)
by hand; uids are uuid5 of kind/namespace/name, so the output is deterministic.

    python tests/data/k8s/generate_dump_list.py > tests/data/k8s/dump-list.json
"""
import json, subprocess, uuid, copy

def kc(*args):
    return json.loads(subprocess.check_output(["kubectl", "create", "--dry-run=client", "-o", "json", *args]))

rv = [412000]
def meta(obj, ns="shop", created="2026-11-02T09:14:07Z", owner=None, name=None):
    m = obj.setdefault("metadata", {})
    if name: m["name"] = name
    if ns is not None: m["namespace"] = ns
    m["uid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{obj['kind']}/{ns}/{m['name']}"))
    rv[0] += 137
    m["resourceVersion"] = str(rv[0])
    m["creationTimestamp"] = created
    if owner:
        m["ownerReferences"] = [{"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
                                 "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
    return obj

items = []
# namespaces
for ns in ("default", "kube-system", "shop"):
    n = kc("namespace", ns); meta(n, ns=None, created="2026-03-01T10:00:00Z")
    n["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = ns
    n["spec"] = {"finalizers": ["kubernetes"]}; n["status"] = {"phase": "Active"}
    items.append(n)

# nodes
def node(name, disk_pressure, itype, zone, ip):
    cond = [
        {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available"},
        {"type": "DiskPressure", "status": "True" if disk_pressure else "False",
         "reason": "KubeletHasDiskPressure" if disk_pressure else "KubeletHasNoDiskPressure",
         "message": "kubelet has disk pressure" if disk_pressure else "kubelet has no disk pressure"},
        {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID", "message": "kubelet has sufficient PID available"},
        {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"},
    ]
    for c in cond:
        c["lastHeartbeatTime"] = "2026-11-21T08:12:44Z"
        c["lastTransitionTime"] = "2026-11-20T23:41:02Z" if (c["type"] == "DiskPressure" and disk_pressure) else "2026-10-30T07:02:19Z"
    n = {"kind": "Node", "apiVersion": "v1", "metadata": {"name": name, "labels": {
        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": itype, "topology.kubernetes.io/region": "eu-west-1",
        "topology.kubernetes.io/zone": zone, "eks.amazonaws.com/nodegroup": "general"}}}
    meta(n, ns=None, created="2026-10-30T07:01:55Z")
    n["spec"] = {"providerID": f"aws:///{zone}/i-0{uuid.uuid5(uuid.NAMESPACE_DNS, name).hex[:16]}"}
    if disk_pressure:
        n["spec"]["taints"] = [{"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule", "timeAdded": "2026-11-20T23:41:02Z"}]
    n["status"] = {
        "capacity": {"cpu": "4", "ephemeral-storage": "20959212Ki", "memory": "15896132Ki", "pods": "58"},
        "allocatable": {"cpu": "3920m", "ephemeral-storage": "18242267924", "memory": "14879300Ki", "pods": "58"},
        "conditions": cond,
        "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
        "nodeInfo": {"machineID": "ec2" + uuid.uuid5(uuid.NAMESPACE_DNS, name + "m").hex[:29], "systemUUID": "ec2" + uuid.uuid5(uuid.NAMESPACE_DNS, name + "s").hex[3:].upper()[:29],
                     "bootID": str(uuid.uuid5(uuid.NAMESPACE_DNS, name + "b")), "kernelVersion": "5.10.227-219.884.amzn2.x86_64",
                     "osImage": "Amazon Linux 2", "containerRuntimeVersion": "containerd://1.7.23", "kubeletVersion": "v1.31.2-eks-94953ac",
                     "kubeProxyVersion": "v1.31.2-eks-94953ac", "operatingSystem": "linux", "architecture": "amd64"},
    }
    return n
node_a = node("ip-10-20-1-17.eu-west-1.compute.internal", False, "m5.xlarge", "eu-west-1a", "10.20.1.17")
node_b = node("ip-10-20-2-84.eu-west-1.compute.internal", True, "m5.xlarge", "eu-west-1b", "10.20.2.84")
items += [node_a, node_b]

# deployment + replicaset + pods
dep = kc("deployment", "web", "--image=nginx:1.27", "--replicas=2", "--port=80", "-n", "shop"); meta(dep)
dep["metadata"]["generation"] = 3; dep["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "3"}
dep["status"] = {"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 1, "availableReplicas": 1, "unavailableReplicas": 1,
                 "conditions": [{"type": "Available", "status": "False", "lastUpdateTime": "2026-11-21T06:02:11Z", "lastTransitionTime": "2026-11-21T06:02:11Z",
                                 "reason": "MinimumReplicasUnavailable", "message": "Deployment does not have minimum availability."},
                                {"type": "Progressing", "status": "True", "lastUpdateTime": "2026-11-20T15:30:40Z", "lastTransitionTime": "2026-11-02T09:14:07Z",
                                 "reason": "NewReplicaSetAvailable", "message": "ReplicaSet \"web-6d4cf56db6\" has successfully progressed."}]}
rs = {"kind": "ReplicaSet", "apiVersion": "apps/v1", "metadata": {"name": "web-6d4cf56db6", "labels": {"app": "web", "pod-template-hash": "6d4cf56db6"},
      "annotations": {"deployment.kubernetes.io/desired-replicas": "2", "deployment.kubernetes.io/max-replicas": "3", "deployment.kubernetes.io/revision": "3"}}}
meta(rs, created="2026-11-20T15:29:58Z", owner=dep)
rs["spec"] = {"replicas": 2, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "6d4cf56db6"}}, "template": copy.deepcopy(dep["spec"]["template"])}
rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] = "6d4cf56db6"
rs["status"] = {"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 1, "availableReplicas": 1, "observedGeneration": 1}

def pod(name, node_obj, ip, owner, containers_status, phase="Running", ready=True, created="2026-11-20T15:29:58Z", image="nginx:1.27", ns="shop", labels=None, extra_status=None):
    p = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "generateName": name.rsplit("-", 1)[0] + "-", "labels": labels or {"app": "web", "pod-template-hash": "6d4cf56db6"}}}
    meta(p, ns=ns, created=created, owner=owner)
    p["spec"] = {"containers": [{"name": cs["name"], "image": image, "ports": [{"containerPort": 80, "protocol": "TCP"}],
                                 "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
                                 "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"} for cs in containers_status],
                 "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst", "serviceAccountName": "default",
                 "serviceAccount": "default", "nodeName": node_obj["metadata"]["name"], "schedulerName": "default-scheduler", "priority": 0,
                 "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                                 {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]}
    if phase == "Failed":
        p["status"] = {"phase": "Failed", "startTime": created}
        p["status"].update(extra_status or {})
        return p
    r = "True" if ready else "False"
    conds = [{"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": None, "lastTransitionTime": created},
             {"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": created},
             {"type": "Ready", "status": r, "lastProbeTime": None, "lastTransitionTime": "2026-11-21T06:02:11Z" if not ready else created},
             {"type": "ContainersReady", "status": r, "lastProbeTime": None, "lastTransitionTime": "2026-11-21T06:02:11Z" if not ready else created},
             {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": created}]
    for c in conds:
        if c["type"] in ("Ready", "ContainersReady") and not ready:
            c["reason"] = "ContainersNotReady"; c["message"] = "containers with unready status: [" + " ".join(cs["name"] for cs in containers_status) + "]"
    p["status"] = {"phase": phase, "conditions": conds, "hostIP": node_obj["status"]["addresses"][0]["address"],
                   "hostIPs": [{"ip": node_obj["status"]["addresses"][0]["address"]}], "podIP": ip, "podIPs": [{"ip": ip}],
                   "startTime": created, "containerStatuses": containers_status, "qosClass": "Burstable"}
    return p

def cid(s): return "containerd://" + uuid.uuid5(uuid.NAMESPACE_OID, s).hex + uuid.uuid5(uuid.NAMESPACE_X500, s).hex
img_id = "docker.io/library/nginx@sha256:" + "0a399eb16751829e1af26fea27b20c3ec28d7ab1fb72182879dcae1cca21206a"
ok = [{"name": "nginx", "state": {"running": {"startedAt": "2026-11-20T15:30:03Z"}}, "lastState": {}, "ready": True, "restartCount": 0,
       "image": "docker.io/library/nginx:1.27", "imageID": img_id, "containerID": cid("web-ok"), "started": True}]
crash = [{"name": "nginx",
          "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=nginx pod=web-6d4cf56db6-x7k2p_shop(" + str(uuid.uuid5(uuid.NAMESPACE_URL, "Pod/shop/web-6d4cf56db6-x7k2p")) + ")"}},
          "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": "2026-11-21T08:04:51Z", "finishedAt": "2026-11-21T08:05:09Z", "containerID": cid("web-crash")}},
          "ready": False, "restartCount": 23, "image": "docker.io/library/nginx:1.27", "imageID": img_id, "containerID": cid("web-crash"), "started": False}]
p1 = pod("web-6d4cf56db6-9hq4m", node_a, "10.20.1.45", rs, ok)
p2 = pod("web-6d4cf56db6-x7k2p", node_b, "10.20.2.103", rs, crash, ready=False)
items += [dep, rs, p1, p2]

# statefulset + pod (evicted pod elsewhere)
sts = {"kind": "StatefulSet", "apiVersion": "apps/v1", "metadata": {"name": "redis", "labels": {"app": "redis"}}}
meta(sts, created="2026-10-31T12:00:00Z"); sts["metadata"]["generation"] = 1
sts["spec"] = {"replicas": 1, "serviceName": "redis", "selector": {"matchLabels": {"app": "redis"}},
               "template": {"metadata": {"labels": {"app": "redis"}}, "spec": {"containers": [{"name": "redis", "image": "redis:7.4", "ports": [{"containerPort": 6379, "name": "redis"}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}},
               "volumeClaimTemplates": [{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
                                         "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "gp3", "resources": {"requests": {"storage": "10Gi"}}, "volumeMode": "Filesystem"}}],
               "podManagementPolicy": "OrderedReady", "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}, "revisionHistoryLimit": 10,
               "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"}}
sts["status"] = {"observedGeneration": 1, "replicas": 1, "readyReplicas": 1, "currentReplicas": 1, "updatedReplicas": 1, "availableReplicas": 1,
                 "currentRevision": "redis-7c9d8b5f4d", "updateRevision": "redis-7c9d8b5f4d", "collisionCount": 0}
pvc = {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": {"name": "data-redis-0", "labels": {"app": "redis"},
       "annotations": {"pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes", "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                       "volume.kubernetes.io/selected-node": node_a["metadata"]["name"]}, "finalizers": ["kubernetes.io/pvc-protection"]}}
meta(pvc, created="2026-10-31T12:00:01Z")
pv_name = "pvc-" + pvc["metadata"]["uid"]
pvc["spec"] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}, "storageClassName": "gp3", "volumeMode": "Filesystem", "volumeName": pv_name}
pvc["status"] = {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"}}
pv = {"kind": "PersistentVolume", "apiVersion": "v1", "metadata": {"name": pv_name, "annotations": {"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com",
      "volume.kubernetes.io/provisioner-deletion-secret-name": "", "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""},
      "finalizers": ["external-provisioner.volume.kubernetes.io/finalizer", "kubernetes.io/pv-protection"]}}
meta(pv, ns=None, created="2026-10-31T12:00:04Z")
pv["spec"] = {"capacity": {"storage": "10Gi"}, "csi": {"driver": "ebs.csi.aws.com", "fsType": "ext4", "volumeHandle": "vol-0c1f3e5a7b9d2e4f6",
              "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "1730271742000-8081-ebs.csi.aws.com"}},
              "accessModes": ["ReadWriteOnce"], "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": "data-redis-0", "uid": pvc["metadata"]["uid"],
              "apiVersion": "v1", "resourceVersion": pvc["metadata"]["resourceVersion"]}, "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "gp3", "volumeMode": "Filesystem",
              "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-west-1a"]}]}]}}}
pv["status"] = {"phase": "Bound", "lastPhaseTransitionTime": "2026-10-31T12:00:04Z"}
# a released PV (no claim any more): waste candidate
pv2 = {"kind": "PersistentVolume", "apiVersion": "v1", "metadata": {"name": "pvc-3b6f0d1e-9a2c-4e57-8f1b-2d4c6a8e0f13", "annotations": {"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com"},
       "finalizers": ["kubernetes.io/pv-protection"]}}
meta(pv2, ns=None, created="2026-08-14T16:22:40Z")
pv2["spec"] = {"capacity": {"storage": "50Gi"}, "csi": {"driver": "ebs.csi.aws.com", "fsType": "ext4", "volumeHandle": "vol-0a2b4c6d8e0f1a3b5"},
               "accessModes": ["ReadWriteOnce"], "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": "data-postgres-0",
               "uid": "5e7a9c1b-3d5f-4a7b-9c1d-3e5f7a9b1c3d", "apiVersion": "v1", "resourceVersion": "98122"},
               "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "gp3", "volumeMode": "Filesystem"}
pv2["status"] = {"phase": "Released", "lastPhaseTransitionTime": "2026-09-02T10:11:12Z"}
redis_pod = pod("redis-0", node_a, "10.20.1.52", sts, [{"name": "redis", "state": {"running": {"startedAt": "2026-10-31T12:00:19Z"}}, "lastState": {}, "ready": True,
                "restartCount": 1, "image": "docker.io/library/redis:7.4", "imageID": "docker.io/library/redis@sha256:" + "5e7c0c6e1a8d3f2b9a4c7d6e8f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a", "containerID": cid("redis"), "started": True}],
                created="2026-10-31T12:00:05Z", image="redis:7.4", labels={"app": "redis", "statefulset.kubernetes.io/pod-name": "redis-0", "apps.kubernetes.io/pod-index": "0"})
redis_pod["metadata"].pop("generateName"); redis_pod["metadata"]["generateName"] = "redis-"
redis_pod["spec"]["hostname"] = "redis-0"; redis_pod["spec"]["subdomain"] = "redis"
redis_pod["spec"]["containers"][0]["ports"] = [{"containerPort": 6379, "name": "redis", "protocol": "TCP"}]
redis_pod["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-redis-0"}}]
items += [sts, redis_pod, pvc, pv, pv2]

# daemonset + evicted pod
ds = {"kind": "DaemonSet", "apiVersion": "apps/v1", "metadata": {"name": "node-exporter", "labels": {"app": "node-exporter"}}}
meta(ds, ns="kube-system", created="2026-10-30T07:00:00Z"); ds["metadata"]["generation"] = 2
ds["spec"] = {"selector": {"matchLabels": {"app": "node-exporter"}}, "template": {"metadata": {"labels": {"app": "node-exporter"}},
              "spec": {"hostNetwork": True, "containers": [{"name": "node-exporter", "image": "quay.io/prometheus/node-exporter:v1.8.2", "ports": [{"containerPort": 9100, "hostPort": 9100, "protocol": "TCP"}]}]}},
              "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}, "revisionHistoryLimit": 10}
ds["status"] = {"currentNumberScheduled": 2, "numberMisscheduled": 0, "desiredNumberScheduled": 2, "numberReady": 2, "observedGeneration": 2,
                "updatedNumberScheduled": 2, "numberAvailable": 2}
evicted = pod("node-exporter-5xw8r", node_b, None, ds, [], phase="Failed", created="2026-11-18T02:11:40Z", image="quay.io/prometheus/node-exporter:v1.8.2", ns="kube-system",
              labels={"app": "node-exporter", "controller-revision-hash": "6b8f7d9c5", "pod-template-generation": "2"},
              extra_status={"reason": "Evicted", "message": "The node was low on resource: ephemeral-storage. Threshold quantity: 1048576000, available: 912340Ki. ",
                            "conditions": [{"type": "DisruptionTarget", "status": "True", "lastProbeTime": None, "lastTransitionTime": "2026-11-20T23:41:30Z",
                                            "reason": "TerminationByKubelet", "message": "The node was low on resource: ephemeral-storage. Threshold quantity: 1048576000, available: 912340Ki. "}],
                            "hostIP": "10.20.2.84", "hostIPs": [{"ip": "10.20.2.84"}], "qosClass": "BestEffort"})
evicted["spec"]["containers"] = [{"name": "node-exporter", "image": "quay.io/prometheus/node-exporter:v1.8.2", "resources": {}, "imagePullPolicy": "IfNotPresent"}]
items += [ds, evicted]

# service + ingress
svc = kc("service", "clusterip", "web", "--tcp=80:80", "-n", "shop"); meta(svc)
svc["spec"].update({"clusterIP": "172.20.81.14", "clusterIPs": ["172.20.81.14"], "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None"})
svc["status"] = {"loadBalancer": {}}
lb = kc("service", "loadbalancer", "web-public", "--tcp=443:80", "-n", "shop"); meta(lb)
lb["spec"]["selector"] = {"app": "web"}
lb["spec"].update({"clusterIP": "172.20.140.7", "clusterIPs": ["172.20.140.7"], "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"],
                   "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None", "allocateLoadBalancerNodePorts": True})
lb["spec"]["ports"][0]["nodePort"] = 31874
lb["status"] = {"loadBalancer": {"ingress": [{"hostname": "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6-1234567890.eu-west-1.elb.amazonaws.com"}]}}
ing = kc("ingress", "web", "--class=alb", "--rule=shop.example.com/*=web:80", "-n", "shop"); meta(ing); ing["metadata"]["generation"] = 1
ing["metadata"]["annotations"] = {"alb.ingress.kubernetes.io/scheme": "internet-facing", "alb.ingress.kubernetes.io/target-type": "ip"}
ing["status"] = {"loadBalancer": {"ingress": [{"hostname": "k8s-shop-web-0f1e2d3c4b-987654321.eu-west-1.elb.amazonaws.com"}]}}
items += [svc, lb, ing]

# cronjob + job + job pod (completed)
cj = kc("cronjob", "report", "--image=busybox:1.36", "--schedule=0 3 * * *", "-n", "shop", "--", "sh", "-c", "echo report"); meta(cj, created="2026-10-01T00:00:00Z")
cj["metadata"]["generation"] = 1
cj["spec"].update({"concurrencyPolicy": "Forbid", "suspend": False, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1})
cj["status"] = {"lastScheduleTime": "2026-11-21T03:00:00Z", "lastSuccessfulTime": "2026-11-21T03:00:12Z"}
job = kc("job", "report-29396340", "--image=busybox:1.36", "-n", "shop", "--", "sh", "-c", "echo report"); meta(job, created="2026-11-21T03:00:00Z", owner=cj)
job["metadata"]["labels"] = {"batch.kubernetes.io/controller-uid": job["metadata"]["uid"], "batch.kubernetes.io/job-name": "report-29396340"}
job["spec"].update({"parallelism": 1, "completions": 1, "backoffLimit": 6, "completionMode": "NonIndexed", "suspend": False})
job["status"] = {"conditions": [{"type": "Complete", "status": "True", "lastProbeTime": "2026-11-21T03:00:12Z", "lastTransitionTime": "2026-11-21T03:00:12Z"}],
                 "startTime": "2026-11-21T03:00:00Z", "completionTime": "2026-11-21T03:00:12Z", "succeeded": 1, "ready": 0, "terminating": 0,
                 "uncountedTerminatedPods": {}}
items += [cj, job]

# events
def event(obj, etype, reason, message, count, first, last, component):
    m = obj["metadata"]
    name = f"{m['name']}.{uuid.uuid5(uuid.NAMESPACE_URL, reason + m['name']).hex[:16]}"
    e = {"kind": "Event", "apiVersion": "v1", "metadata": {"name": name}}
    meta(e, ns=m.get("namespace", "default"), created=first)
    e.update({"involvedObject": {"kind": obj["kind"], "namespace": m.get("namespace"), "name": m["name"], "uid": m["uid"], "apiVersion": obj["apiVersion"],
              "resourceVersion": m["resourceVersion"]} if m.get("namespace") else {"kind": obj["kind"], "name": m["name"], "uid": m["name"], "apiVersion": obj["apiVersion"]},
              "reason": reason, "message": message, "source": {"component": component, "host": obj.get("spec", {}).get("nodeName") or (m["name"] if obj["kind"] == "Node" else None)},
              "firstTimestamp": first, "lastTimestamp": last, "count": count, "type": etype, "eventTime": None, "reportingComponent": component,
              "reportingInstance": obj.get("spec", {}).get("nodeName") or m["name"]})
    if obj["kind"] == "Pod":
        e["involvedObject"]["fieldPath"] = "spec.containers{nginx}"
    if e["source"]["host"] is None: e["source"].pop("host")
    return e
items += [event(p2, "Warning", "BackOff", "Back-off restarting failed container nginx in pod web-6d4cf56db6-x7k2p_shop(" + p2["metadata"]["uid"] + ")", 412,
                "2026-11-21T06:02:11Z", "2026-11-21T08:10:40Z", "kubelet"),
          event(node_b, "Warning", "EvictionThresholdMet", "Attempting to reclaim ephemeral-storage", 3, "2026-11-20T23:41:02Z", "2026-11-21T07:55:31Z", "kubelet"),
          event(evicted, "Warning", "Evicted", "The node was low on resource: ephemeral-storage. Threshold quantity: 1048576000, available: 912340Ki. ", 1,
                "2026-11-20T23:41:30Z", "2026-11-20T23:41:30Z", "kubelet")]
items[-3]["source"] = {"component": "kubelet", "host": node_b["metadata"]["name"]}
items[-1]["involvedObject"].pop("fieldPath", None)

# kubectl prints the kinds in the order they were asked for
ORDER = ["Pod", "Service", "Ingress", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "Node",
         "PersistentVolumeClaim", "PersistentVolume", "Namespace", "Event"]
items.sort(key=lambda i: ORDER.index(i["kind"]))
doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
print(json.dumps(doc, indent=4))
