package juliaruntest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// CreateVolume creates a PersistentVolumeClaim name in namespace, bound to a
// new PersistentVolume of the given size (e.g. "1Gi"), so pods that mount
// it can be scheduled. With nodes, it waits until the claim is Bound.
//
// With a real node, the volume is a directory on this machine
// (VolumePath) that CreateVolume makes, owned by uid and gid 1000 (the
// pods' user) and writable by every user: a hostPath directory the kubelet
// makes itself is root's, mode 0755, and fsGroup does not apply to
// hostPath. Stop removes it. The size is not enforced.
func (c *Cluster) CreateVolume(ctx context.Context, namespace, name, size string) error {
	q, err := resource.ParseQuantity(size)
	if err != nil {
		return fmt.Errorf("juliaruntest: CreateVolume size %q: %w", size, err)
	}
	hostPath := filepath.Join("/tmp/juliaruntest", namespace, name)
	if c.real != nil {
		hostPath = c.VolumePath(namespace, name)
		if err := os.MkdirAll(hostPath, 0o755); err != nil {
			return fmt.Errorf("juliaruntest: CreateVolume: %w", err)
		}
		// Chmod after MkdirAll: the umask would take bits off.
		if err := os.Chmod(hostPath, 0o777); err != nil {
			return fmt.Errorf("juliaruntest: CreateVolume: %w", err)
		}
		if err := os.Chown(hostPath, volumeUID, volumeUID); err != nil {
			return fmt.Errorf("juliaruntest: CreateVolume: %w", err)
		}
	}
	pvName := "juliaruntest-" + namespace + "-" + name
	modes := []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	noClass := ""
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: pvName},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: q},
			AccessModes: modes,
			// On simulated nodes nothing mounts it: kwok runs no containers.
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: hostPath}},
			ClaimRef:                      &corev1.ObjectReference{Namespace: namespace, Name: name},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              noClass,
		},
	}
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      modes,
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: q}},
			VolumeName:       pvName,
			StorageClassName: &noClass,
		},
	}
	if _, err := c.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("juliaruntest: CreateVolume: %w", err)
	}
	if _, err := c.client.CoreV1().PersistentVolumeClaims(namespace).Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("juliaruntest: CreateVolume: %w", err)
	}
	if !c.hasComponents() {
		return nil // no controller-manager to bind it
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err := c.client.CoreV1().PersistentVolumeClaims(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return got.Status.Phase == corev1.ClaimBound, nil
	})
	if err != nil {
		return fmt.Errorf("juliaruntest: CreateVolume: waiting for claim %s/%s to be bound: %w%s", namespace, name, err, c.logHint())
	}
	return nil
}

// volumeUID owns real-node volumes: the uid (and gid) the SDK's pods run as.
const volumeUID = 1000

// VolumePath returns the directory on this machine that holds the volume
// CreateVolume made as name in namespace, when the cluster has a real node:
// tests put files there for pods to read and read what pods wrote. Files a
// test writes must be readable by uid 1000. Without a real node it returns
// "" (no volume holds data).
func (c *Cluster) VolumePath(namespace, name string) string {
	if c.real == nil {
		return ""
	}
	return filepath.Join(c.real.dir, "volumes", namespace, name)
}
