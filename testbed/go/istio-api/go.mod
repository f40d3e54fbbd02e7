// Pins the istio.io/api module whose kubernetes/customresourcedefinitions.gen.yaml the test bed
// installs. up.sh runs `go mod download -json istio.io/api` here (checked against go.sum).
module istio-api-testbed/istio-crds

go 1.26.0

require istio.io/api v1.32.0
