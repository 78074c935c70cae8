package juliaruntest

import (
	"context"
	"fmt"
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
func (c *Cluster) CreateVolume(ctx context.Context, namespace, name, size string) error {
	q, err := resource.ParseQuantity(size)
	if err != nil {
		return fmt.Errorf("juliaruntest: CreateVolume size %q: %w", size, err)
	}
	pvName := "juliaruntest-" + namespace + "-" + name
	modes := []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	noClass := ""
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: pvName},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: q},
			AccessModes: modes,
			// Nothing mounts it: kwok runs no containers.
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: filepath.Join("/tmp/juliaruntest", namespace, name)}},
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
	if c.opts.Nodes == 0 {
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
