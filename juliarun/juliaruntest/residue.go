package juliaruntest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// RealNodeResidue returns what pods left running on the real node:
// containerd tasks (the processes of containers and pod sandboxes) and the
// mounts under RealNodeRoot other than the kubelet's bind mount of its own
// root directory (root filesystems, /dev/shm, network namespaces,
// volumes). Once every pod of the cluster is deleted and gone, it is empty
// when the kubelet cleaned up after them; tests assert that a deletion
// leaves nothing behind. Stopped containers' records are not residue: the
// kubelet's container garbage collection removes them within a minute, as
// on any node.
func (c *Cluster) RealNodeResidue(ctx context.Context) ([]string, error) {
	if c.real == nil {
		return nil, errors.New("juliaruntest: RealNodeResidue: the cluster has no real node (Options.RealNodes)")
	}
	out, err := c.real.ctr(ctx, "tasks", "ls", "-q")
	if err != nil {
		return nil, fmt.Errorf("juliaruntest: RealNodeResidue: %w", err)
	}
	var residue []string
	for _, id := range strings.Fields(string(out)) {
		residue = append(residue, "task "+id)
	}
	mounts, err := mountsUnder(c.real.dir)
	if err != nil {
		return nil, fmt.Errorf("juliaruntest: RealNodeResidue: %w", err)
	}
	for _, m := range mounts {
		if m != c.real.kubeletDir() {
			residue = append(residue, "mount "+strings.TrimPrefix(m, filepath.Clean(c.real.dir)+"/"))
		}
	}
	return residue, nil
}
