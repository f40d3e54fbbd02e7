# Pinned versions of everything the test bed runs. Sourced by the other scripts.
# kube-apiserver: k8s.io/kubernetes from the Go module proxy (staging modules at v0.<minor>.<patch>).
K8S_VERSION=1.37.2
# etcd server: the go.etcd.io/etcd/client/v3 version k8s.io/kubernetes v1.37.2 pins.
ETCD_VERSION=3.7.0
# Istio CRDs: Go module istio.io/api, file kubernetes/customresourcedefinitions.gen.yaml.
ISTIO_API_VERSION=1.32.0
