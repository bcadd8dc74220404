"""Kubernetes inventory: parsing the `kubectl get ... -o json` dumps bastions upload, into lake rows."""
