// Package resources builds the CPU, memory and GPU quantities a job asks for
// and checks them.
//
// Quantities are apimachinery's resource.Quantity, so they print and parse
// the way Kubernetes does ("100m", "512Mi"). The helpers read as the job model
// speaks: resources.Cores(0.1), resources.MiB(512), resources.GiB(8).
package resources
