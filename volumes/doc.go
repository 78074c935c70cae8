// Package volumes names and checks the persistent volumes a job mounts.
//
// A volume is referred to by the name of a PersistentVolumeClaim in the job's
// namespace; the SDK mounts it, it never creates it. Every volume, the run
// volume included, is mounted at /mnt/<name>.
package volumes
