package juliaruntest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/juliarun/sdk/internal/clusterbin"
	"github.com/juliarun/sdk/juliarun/juliaruntest/internal/imagetar"
)

// pauseImage is the sandbox image of the real node: clusterbin's pause
// program, alone, as uid 65535. It is containerd's pinned sandbox image, so
// the kubelet neither pulls nor removes it.
const pauseImage = "juliaruntest.local/pause:" + clusterbin.PauseVersion

// importPauseImage writes the pause image and imports it.
func (n *realNode) importPauseImage(ctx context.Context) error {
	path := filepath.Join(n.dir, "pause.tar")
	files := []imagetar.File{{Path: "pause", Source: filepath.Join(n.binDir, clusterbin.Pause), Mode: 0o755}}
	cfg := imagetar.Config{Entrypoint: []string{"/pause"}, User: "65535:65535"}
	if err := imagetar.Write(path, pauseImage, files, cfg); err != nil {
		return fmt.Errorf("juliaruntest: writing the pause image: %w", err)
	}
	return n.importImage(ctx, path)
}

// ImportImage imports a container image tarball (as `docker save` or
// go-containerregistry's tarball.Write make it, or an OCI archive) into
// the real node's containerd, under the names it carries. Pods find it
// there as long as they never pull it: give it a tag other than "latest"
// (pull policy IfNotPresent), or set the pull policy to Never. Every
// registry is unreachable on the real node, by design. Images can also be
// given to Start in Options.RealNodeImages.
func (c *Cluster) ImportImage(ctx context.Context, tarPath string) error {
	if c.real == nil {
		return errors.New("juliaruntest: ImportImage: the cluster has no real node (Options.RealNodes)")
	}
	if _, err := os.Stat(tarPath); err != nil {
		return fmt.Errorf("juliaruntest: ImportImage: %w", err)
	}
	return c.real.importImage(ctx, tarPath)
}
