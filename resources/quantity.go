package resources

import (
	"math"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Cores returns a CPU quantity of n cores, rounded to the nearest millicore
// (Kubernetes' finest CPU unit): Cores(0.1) is "100m", Cores(2) is "2".
func Cores(n float64) resource.Quantity {
	return *resource.NewMilliQuantity(int64(math.Round(n*1000)), resource.DecimalSI)
}

// MiB returns a memory quantity of n mebibytes: MiB(512) is "512Mi".
func MiB(n int64) resource.Quantity {
	return *resource.NewQuantity(n<<20, resource.BinarySI)
}

// GiB returns a memory quantity of n gibibytes: GiB(8) is "8Gi".
func GiB(n int64) resource.Quantity {
	return *resource.NewQuantity(n<<30, resource.BinarySI)
}
